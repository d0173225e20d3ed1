// The cluster secrets haforge writes: how a new one is made (from the
// CSPRNG) and how an existing one is judged good enough to keep.
import { randomBytes } from 'node:crypto';

export interface SecretKind {
  /** What it is, for messages. */
  title: string;
  defaultMode: string;
  generate(): Buffer;
  /** Why the content cannot be kept, or undefined when it can. */
  problem(content: Buffer): string | undefined;
  /**
   * A secret written inside a configuration file rendered from a template
   * (the template sees it as `secret`): the secret as found in a file's content.
   */
  extract?(content: Buffer): string | undefined;
}

// Heartbeat's authkeys: "auth N" names the key line in use. crc is a
// checksum, not authentication: any host on the segment could join.
const heartbeatAuthkeys = (method: 'sha1' | 'md5'): SecretKind => ({
  title: 'Heartbeat authkeys',
  defaultMode: '0600',
  generate: () => Buffer.from(`# Written by haforge: the same on every node. Heartbeat refuses it unless mode 0600.\nauth 1\n1 ${method} ${randomBytes(32).toString('hex')}\n`),
  problem(content) {
    const lines = content.toString('utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    const auth = /^auth\s+(\d+)$/.exec(lines.find((l) => l.startsWith('auth')) ?? '');
    if (!auth) return 'it has no "auth N" line';
    const key = lines.map((l) => /^(\d+)\s+(\S+)(?:\s+(\S+))?$/.exec(l)).find((m) => m?.[1] === auth[1]);
    if (!key) return `it has no key line ${auth[1]}`;
    if (key[2] === 'crc') return 'it uses crc, which authenticates nothing';
    if (key[2] !== method) return `it uses ${key[2]}, the inventory asks for ${method}`;
    if (!key[3] || key[3].length < 16) return 'its key is missing or shorter than 16 characters';
    return undefined;
  },
});

// Corosync's authkey: raw random bytes (corosync-keygen writes 256).
const corosyncAuthkey: SecretKind = {
  title: 'Corosync authkey',
  defaultMode: '0400',
  generate: () => randomBytes(256),
  problem: (content) => (content.length < 128 ? `it is ${content.length} bytes, shorter than the 128 corosync accepts` : content.length > 4096 ? `it is ${content.length} bytes, longer than the 4096 corosync accepts` : undefined),
};

// DRBD's peer authentication: `shared-secret` in global_common.conf's net
// section, 30 random bytes as hex (drbdadm takes at most 63 characters); the
// file is the template's rendering.
const SHARED_SECRET = /^\s*shared-secret\s+"([0-9a-f]{60})"\s*;/m;
const drbdSharedSecret: SecretKind = {
  title: 'DRBD shared secret',
  defaultMode: '0600',
  generate: () => Buffer.from(randomBytes(30).toString('hex')),
  extract: (content) => SHARED_SECRET.exec(content.toString('utf8'))?.[1],
  problem: (content) => (SHARED_SECRET.test(content.toString('utf8')) ? undefined : 'it holds no shared-secret of 60 hex digits'),
};

export const SECRET_KINDS = ['heartbeat-authkeys', 'corosync-authkey', 'drbd-shared-secret'] as const;
export type SecretKindName = (typeof SECRET_KINDS)[number];

/** method: Heartbeat's authentication method (sha1 unless the inventory says md5). */
export function secretKind(name: SecretKindName, method: 'sha1' | 'md5' = 'sha1'): SecretKind {
  return name === 'corosync-authkey' ? corosyncAuthkey : name === 'drbd-shared-secret' ? drbdSharedSecret : heartbeatAuthkeys(method);
}
