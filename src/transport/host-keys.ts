// The host key policy: known keys pass, changed or revoked keys are always
// refused, unknown keys are refused unless the user asked to accept new ones
// (then they are recorded).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ConnectionError } from '../errors.js';
import { checkHostKey, fingerprint, knownHostsLine, parseKnownHosts, type KnownHostsEntry } from './known-hosts.js';

export async function readKnownHosts(file: string): Promise<KnownHostsEntry[]> {
  try {
    return parseKnownHosts(await fs.readFile(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

export interface HostKeyRequest {
  /** The node's name, for messages. */
  name: string;
  /** The address the key is recorded under, and its port. */
  host: string;
  port: number;
  key: Buffer;
  knownHostsFile: string;
  acceptNew: boolean;
  /** The one unknown key the user approved (init shows a fingerprint, then connects again): recorded only if offered again. */
  approvedKey?: Buffer;
}

// Accepting keys for several hosts at once appends to one file: one writer at a time.
let appendQueue: Promise<unknown> = Promise.resolve();

/** Resolves when the key may be trusted; otherwise returns the error to report. */
export async function verifyHostKey(req: HostKeyRequest): Promise<ConnectionError | undefined> {
  const entries = await readKnownHosts(req.knownHostsFile);
  const check = checkHostKey(entries, req.host, req.port, req.key);
  const where = `${req.host}${req.port === 22 ? '' : `:${req.port}`}`;
  const offered = fingerprint(req.key);
  switch (check.status) {
    case 'match':
      return undefined;
    case 'revoked':
      return new ConnectionError(
        req.name,
        'host-key-changed',
        `host key of ${req.name} (${where}) is REVOKED in ${req.knownHostsFile}:${check.line}: ${offered}`,
        'Refusing to connect. Ask the host administrator for a new key.',
      );
    case 'changed':
      return new ConnectionError(
        req.name,
        'host-key-changed',
        `host key of ${req.name} (${where}) has CHANGED: it offered ${offered}, but ` +
          `${req.knownHostsFile}:${check.line} has ${check.knownType} ${check.knownFingerprint}. ` +
          'Someone could be intercepting the connection, or the host was reinstalled.',
        `If the host really was reinstalled, verify the new key out of band, then remove the old one with ` +
          `\`ssh-keygen -R ${req.port === 22 ? req.host : `'[${req.host}]:${req.port}'`} -f ${req.knownHostsFile}\`.`,
      );
    case 'unknown':
      if (req.approvedKey && !req.approvedKey.equals(req.key)) {
        return new ConnectionError(
          req.name,
          'host-key-changed',
          `host key of ${req.name} (${where}) is not the one you approved: it offered ${offered}, you approved ${fingerprint(req.approvedKey)}. ` +
            'Someone could be intercepting the connection.',
          'Nothing was recorded. Verify the host\'s key out of band before trusting it.',
        );
      }
      if (!req.acceptNew && !req.approvedKey) {
        return new ConnectionError(
          req.name,
          'host-key-unknown',
          `host key of ${req.name} (${where}) is not known: ${offered}`,
          `Check the fingerprint, then run again with --accept-new-host-keys to record it in ${req.knownHostsFile}, ` +
            `or add it yourself with \`ssh-keyscan -p ${req.port} ${req.host} >> ${req.knownHostsFile}\`.`,
          req.key,
        );
      }
      await appendKnownHost(req.knownHostsFile, knownHostsLine(req.host, req.port, req.key));
      return undefined;
  }
}

/** Append one line, creating the directory (0700) and file (0600) when missing. */
export function appendKnownHost(file: string, line: string): Promise<void> {
  const next = appendQueue.then(async () => {
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    let prefix = '';
    try {
      const text = await fs.readFile(file, 'utf8');
      if (text !== '' && !text.endsWith('\n')) prefix = '\n';
    } catch {
      /* new file */
    }
    await fs.appendFile(file, `${prefix}${line}\n`, { mode: 0o600 });
  });
  appendQueue = next.catch(() => {});
  return next;
}
