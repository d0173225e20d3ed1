// Schemas of values that reach a node's shell or a configuration file. Each
// admits what the value can really be, so a blank, a quote, a newline, a
// `..` or a leading dash (an option, not a name) never gets that far.
import type { Schema } from './types.js';

/** /dev/vdb, /dev/disk/by-id/virtio-sbd, /dev/disk/by-path/pci-0000:00:1f.2-ata-1, /dev/mapper/vg-lv. */
export const devicePath: Schema = {
  type: 'string',
  pattern: '^/dev/(?!.*\\.\\.)[A-Za-z0-9._:+@/-]+$',
  description: 'a device path under /dev (letters, digits and . _ : + @ / -, no "..")',
  expects: 'a device path under /dev (letters, digits and . _ : + @ / -, no "..")',
};

/**
 * An absolute, normalized path: no `.` or `..` component, no `//`, no
 * trailing slash, no blank, quote or control character (fstab, haresources
 * and mon.cf split on blanks).
 */
export const absolutePath: Schema = {
  type: 'string',
  pattern: '^(?!.*/\\.\\.?(/|$))(/[A-Za-z0-9._@+:,=~-]+)+$',
  description: 'an absolute, normalized path like /var/lib/mysql (letters, digits and . _ @ + : , = ~ -; no blanks, no "." or ".." components, no trailing /)',
  expects: 'an absolute, normalized path like /var/lib/mysql (letters, digits and . _ @ + : , = ~ -; no blanks, no "." or ".." components, no trailing /)',
};

/** A systemd unit (without .service) or an init script's name: never a path. */
export const unitName: Schema = {
  type: 'string',
  pattern: '^[A-Za-z0-9_][A-Za-z0-9:_.@-]*$',
  description: 'a unit or init script name (letters, digits and : _ . @ -, not a path)',
  expects: 'a unit or init script name (letters, digits and : _ . @ -, not a path)',
};

/** Debian, RPM and SUSE package names, with an architecture or version where the manager takes one. */
export const packageName: Schema = {
  type: 'string',
  pattern: '^[A-Za-z0-9][A-Za-z0-9+._:~=-]*$',
  description: 'a package name (a letter or digit first, then letters, digits and + . _ : ~ = -)',
  expects: 'a package name (a letter or digit first, then letters, digits and + . _ : ~ = -)',
};

const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
export const IPV4_PATTERN = `^${OCTET}(\\.${OCTET}){3}$`;
const IPV4_TEXT = 'an IPv4 address like 192.168.1.10 (four numbers 0-255)';
export const ipv4: Schema = { type: 'string', pattern: IPV4_PATTERN, description: IPV4_TEXT, expects: IPV4_TEXT };

const LABEL = '[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
/** A host name as `uname -n` prints it: short (node1) or fully qualified (node1.example.com). */
export const HOST_NAME_PATTERN = `^(?=.{1,253}$)${LABEL}(\\.${LABEL})*$`;
export const hostName: Schema = {
  type: 'string',
  pattern: HOST_NAME_PATTERN,
  description: 'a host name as `uname -n` prints it, short or fully qualified (letters, digits, dashes, dots between labels)',
  expects: 'a host name as `uname -n` prints it, short or fully qualified (letters, digits, dashes, dots between labels)',
};

/** Where something is reached: a DNS name, an IPv4 address or an IPv6 address. */
export const hostOrAddress: Schema = {
  type: 'string',
  pattern: `${HOST_NAME_PATTERN}|^[0-9A-Fa-f]*:[0-9A-Fa-f:.]*$`,
  description: 'a DNS name, an IPv4 or an IPv6 address',
  expects: 'a DNS name, an IPv4 or an IPv6 address',
};

/** A network interface (IFNAMSIZ: at most 15 characters; an IP alias like eth0:0 included). */
export const interfaceName: Schema = {
  type: 'string',
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,14}$',
  description: 'an interface name like eth0, ens3 or bond0.100 (at most 15 letters, digits and _ . : @ -)',
  expects: 'an interface name like eth0, ens3 or bond0.100 (at most 15 letters, digits and _ . : @ -)',
};

/** mount -o options: comma-separated words, nothing fstab would split on. */
export const mountOptions: Schema = {
  type: 'string',
  pattern: '^[A-Za-z0-9_.=:+/@-]+(,[A-Za-z0-9_.=:+/@-]+)*$',
  description: 'mount options like noatime,data=ordered (comma-separated, no blanks)',
  expects: 'mount options like noatime,data=ordered (comma-separated, no blanks)',
};

/** A login name as useradd accepts it. */
export const userName: Schema = {
  type: 'string',
  pattern: '^[A-Za-z_][A-Za-z0-9_.-]{0,31}$',
  description: 'a login name (letters, digits and _ . -, not starting with a dash)',
  expects: 'a login name (letters, digits and _ . -, not starting with a dash)',
};

/** ssh -J: [user@]host[:port], several separated by commas. */
export const proxyJump: Schema = {
  type: 'string',
  pattern: '^([A-Za-z_][A-Za-z0-9_.-]*@)?[A-Za-z0-9.:\\[\\]-]+(:\\d{1,5})?(,([A-Za-z_][A-Za-z0-9_.-]*@)?[A-Za-z0-9.:\\[\\]-]+(:\\d{1,5})?)*$',
  description: 'a jump host as ssh -J takes it: [user@]host[:port], several separated by commas',
  expects: 'a jump host as ssh -J takes it: [user@]host[:port], several separated by commas',
};

/** The facilities syslog knows (ha.cf logfacility). */
export const syslogFacility: Schema = {
  type: 'string',
  enum: ['auth', 'authpriv', 'cron', 'daemon', 'kern', 'lpr', 'mail', 'news', 'syslog', 'user', 'uucp', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'],
  description: 'a syslog facility (local0 .. local7, daemon, ...)',
  expects: 'a syslog facility (local0 .. local7, daemon, ...)',
};

/** An agent parameter's or a property's name. */
export const parameterName: Schema = {
  type: 'string',
  pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]*$',
  description: 'a parameter name (letters, digits and _ . -)',
  expects: 'a parameter name (letters, digits and _ . -)',
};
