// known_hosts parsing and host key matching, as OpenSSH does it (sshd(8),
// "SSH_KNOWN_HOSTS FILE FORMAT"). Pure functions: the file is read and
// appended to by host-keys.ts.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { globMatches } from './glob.js';

export interface KnownHostsEntry {
  /** 1-based line number in the file. */
  line: number;
  marker?: 'revoked' | 'cert-authority';
  /** The host field as written: comma list, wildcards, `!negations`, `[host]:port`, or one `|1|salt|hash`. */
  hosts: string;
  keyType: string;
  key: Buffer;
}

export type HostKeyCheck =
  | { status: 'match'; line: number }
  | { status: 'unknown' }
  /** The host is known with another key (of this type, or only of other types). */
  | { status: 'changed'; line: number; knownFingerprint: string; knownType: string }
  /** The key is listed as `@revoked`. */
  | { status: 'revoked'; line: number };

/** Parse a known_hosts file. Comments, blank and malformed lines are skipped. */
export function parseKnownHosts(text: string): KnownHostsEntry[] {
  const entries: KnownHostsEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === '' || fields[0]!.startsWith('#')) return;
    let marker: KnownHostsEntry['marker'];
    if (fields[0]!.startsWith('@')) {
      const m = fields.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else return; // unknown marker: OpenSSH ignores the line
    }
    const [hosts, keyType, b64] = fields;
    if (!hosts || !keyType || !b64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return;
    const key = Buffer.from(b64, 'base64');
    if (keyTypeOf(key) !== keyType) return; // corrupt entry
    entries.push({ line: i + 1, marker, hosts, keyType, key });
  });
  return entries;
}

/** The name a host has in known_hosts: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port = 22): string {
  return port === 22 ? host.toLowerCase() : `[${host.toLowerCase()}]:${port}`;
}

/** Does a known_hosts host field match this name (from knownHostsName)? */
export function hostFieldMatches(hosts: string, name: string): boolean {
  if (hosts.startsWith('|')) return hashedMatches(hosts, name);
  let matched = false;
  for (const pattern of hosts.split(',')) {
    if (pattern === '') continue;
    const negated = pattern.startsWith('!');
    const glob = negated ? pattern.slice(1) : pattern;
    if (!globMatches(glob.toLowerCase(), name)) continue;
    if (negated) return false; // a negated match vetoes the whole line
    matched = true;
  }
  return matched;
}

/** Check the key a server offered against the parsed file. */
export function checkHostKey(entries: KnownHostsEntry[], host: string, port: number, key: Buffer): HostKeyCheck {
  // A revoked key is refused whatever host it claims to be.
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(key));
  if (revoked) return { status: 'revoked', line: revoked.line };

  const name = knownHostsName(host, port);
  const forHost = entries.filter((e) => e.marker === undefined && hostFieldMatches(e.hosts, name));
  const same = forHost.find((e) => e.key.equals(key));
  if (same) return { status: 'match', line: same.line };
  if (forHost.length === 0) return { status: 'unknown' };
  const type = keyTypeOf(key);
  const differing = forHost.find((e) => e.keyType === type) ?? forHost[0]!;
  return { status: 'changed', line: differing.line, knownFingerprint: fingerprint(differing.key), knownType: differing.keyType };
}

/** Key types known for a host, so the handshake can prefer them (as OpenSSH does). */
export function knownKeyTypes(entries: KnownHostsEntry[], host: string, port: number): string[] {
  const name = knownHostsName(host, port);
  const types = entries.filter((e) => e.marker === undefined && hostFieldMatches(e.hosts, name)).map((e) => e.keyType);
  return [...new Set(types)];
}

/** The line to append for a newly accepted key (plain host name, like `ssh -o StrictHostKeyChecking=accept-new`). */
export function knownHostsLine(host: string, port: number, key: Buffer): string {
  return `${knownHostsName(host, port)} ${keyTypeOf(key)} ${key.toString('base64')}`;
}

/** OpenSSH's fingerprint format: `SHA256:` + unpadded base64 of the key blob's SHA-256. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The algorithm name at the start of an SSH public key blob (`ssh-ed25519`, `ssh-rsa`, ...). */
export function keyTypeOf(key: Buffer): string | undefined {
  if (key.length < 4) return undefined;
  const len = key.readUInt32BE(0);
  if (len === 0 || len > 64 || key.length < 4 + len) return undefined;
  return key.subarray(4, 4 + len).toString('latin1');
}

function hashedMatches(field: string, name: string): boolean {
  const parts = field.split('|'); // ['', '1', salt, hash]
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2]!, 'base64');
  const want = Buffer.from(parts[3]!, 'base64');
  const got = createHmac('sha1', salt).update(name).digest();
  return want.length === got.length && timingSafeEqual(want, got);
}
