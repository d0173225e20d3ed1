// Schemas of values that reach a node's shell or a configuration file. Each
// admits what the value can really be, so a blank, a quote, a newline, a
// `..` or a leading dash (an option, not a name) never gets that far.
import type { Schema } from './types.js';

/** A string of a pattern; `text` says what it is, in field descriptions and in "'x' is not <text>". */
const textValue = (pattern: string, text: string): Schema => ({ type: 'string', pattern, description: text, expects: text });

/** /dev/vdb, /dev/disk/by-id/virtio-sbd, /dev/disk/by-path/pci-0000:00:1f.2-ata-1, /dev/mapper/vg-lv. */
export const devicePath: Schema = textValue('^/dev/(?!.*\\.\\.)[A-Za-z0-9._:+@/-]+$', 'a device path under /dev (letters, digits and . _ : + @ / -, no "..")');

/**
 * An absolute, normalized path: no `.` or `..` component, no `//`, no
 * trailing slash, no blank, quote or control character (fstab, haresources
 * and mon.cf split on blanks).
 */
export const absolutePath: Schema = textValue('^(?!.*/\\.\\.?(/|$))(/[A-Za-z0-9._@+:,=~-]+)+$', 'an absolute, normalized path like /var/lib/mysql (letters, digits and . _ @ + : , = ~ -; no blanks, no "." or ".." components, no trailing /)');

/** A systemd unit (without .service) or an init script's name: never a path. */
export const unitName: Schema = textValue('^[A-Za-z0-9_][A-Za-z0-9:_.@-]*$', 'a unit or init script name (letters, digits and : _ . @ -, not a path)');

/** Debian, RPM and SUSE package names, with an architecture or version where the manager takes one. */
export const packageName: Schema = textValue('^[A-Za-z0-9][A-Za-z0-9+._:~=-]*$', 'a package name (a letter or digit first, then letters, digits and + . _ : ~ = -)');

const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
export const IPV4_PATTERN = `^${OCTET}(\\.${OCTET}){3}$`;
const IPV4_TEXT = 'an IPv4 address like 192.168.1.10 (four numbers 0-255)';
export const ipv4 = textValue(IPV4_PATTERN, IPV4_TEXT);

const LABEL = '[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
/** A host name as `uname -n` prints it: short (node1) or fully qualified (node1.example.com). */
export const HOST_NAME_PATTERN = `^(?=.{1,253}$)${LABEL}(\\.${LABEL})*$`;
export const hostName: Schema = textValue(HOST_NAME_PATTERN, 'a host name as `uname -n` prints it, short or fully qualified (letters, digits, dashes, dots between labels)');

/** Where something is reached: a DNS name, an IPv4 address or an IPv6 address. */
export const hostOrAddress: Schema = textValue(`${HOST_NAME_PATTERN}|^[0-9A-Fa-f]*:[0-9A-Fa-f:.]*$`, 'a DNS name, an IPv4 or an IPv6 address');

/** A network interface (IFNAMSIZ: at most 15 characters; an IP alias like eth0:0 included). */
export const interfaceName: Schema = textValue('^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,14}$', 'an interface name like eth0, ens3 or bond0.100 (at most 15 letters, digits and _ . : @ -)');

/** mount -o options: comma-separated words, nothing fstab would split on. */
export const mountOptions: Schema = textValue('^[A-Za-z0-9_.=:+/@-]+(,[A-Za-z0-9_.=:+/@-]+)*$', 'mount options like noatime,data=ordered (comma-separated, no blanks)');

/** A login name as useradd accepts it. */
export const userName: Schema = textValue('^[A-Za-z_][A-Za-z0-9_.-]{0,31}$', 'a login name (letters, digits and _ . -, not starting with a dash)');

/** ssh -J: [user@]host[:port], several separated by commas. */
export const proxyJump: Schema = textValue('^([A-Za-z_][A-Za-z0-9_.-]*@)?[A-Za-z0-9.:\\[\\]-]+(:\\d{1,5})?(,([A-Za-z_][A-Za-z0-9_.-]*@)?[A-Za-z0-9.:\\[\\]-]+(:\\d{1,5})?)*$', 'a jump host as ssh -J takes it: [user@]host[:port], several separated by commas');

/** The facilities syslog knows (ha.cf logfacility). */
export const syslogFacility: Schema = {
  type: 'string',
  enum: ['auth', 'authpriv', 'cron', 'daemon', 'kern', 'lpr', 'mail', 'news', 'syslog', 'user', 'uucp', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'],
  description: 'a syslog facility (local0 .. local7, daemon, ...)',
};

/** An agent parameter's or a property's name. */
export const parameterName: Schema = textValue('^[A-Za-z0-9_][A-Za-z0-9_.-]*$', 'a parameter name (letters, digits and _ . -)');

/** A DRBD resource's or a fence device's name: it names files (/etc/drbd.d/r0.res) and command arguments. */
export const RESOURCE_NAME_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_-]{0,62}$';
export const resourceName = textValue(RESOURCE_NAME_PATTERN, 'a resource name (letters, digits, _ and -, not starting with -)');
export const deviceName = textValue(RESOURCE_NAME_PATTERN, 'a device name (letters, digits, _ and -, not starting with -)');
