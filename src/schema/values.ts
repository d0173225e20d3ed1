// Schemas of values that reach a node's shell or a configuration file. Each
// admits what the value can really be, so a blank, a quote, a newline, a
// `..` or a leading dash (an option, not a name) never gets that far.
import type { Schema } from './types.js';

/** /dev/vdb, /dev/disk/by-id/virtio-sbd, /dev/disk/by-path/pci-0000:00:1f.2-ata-1, /dev/mapper/vg-lv. */
export const devicePath: Schema = {
  type: 'string',
  pattern: '^/dev/(?!.*\\.\\.)[A-Za-z0-9._:+@/-]+$',
  description: 'a device path under /dev (letters, digits and . _ : + @ / -, no "..")',
};

/** A systemd unit (without .service) or an init script's name: never a path. */
export const unitName: Schema = {
  type: 'string',
  pattern: '^[A-Za-z0-9_][A-Za-z0-9:_.@-]*$',
  description: 'a unit or init script name (letters, digits and : _ . @ -, not a path)',
};

/** Debian, RPM and SUSE package names, with an architecture or version where the manager takes one. */
export const packageName: Schema = {
  type: 'string',
  pattern: '^[A-Za-z0-9][A-Za-z0-9+._:~=-]*$',
  description: 'a package name (a letter or digit first, then letters, digits and + . _ : ~ = -)',
};

export const ipv4: Schema = { type: 'string', pattern: '^\\d{1,3}(\\.\\d{1,3}){3}$', description: 'an IPv4 address' };
