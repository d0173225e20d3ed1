// Private keys for public key auth: read once per file per run (so one
// passphrase prompt serves every host that uses the key), with errors that
// say what to do. Never puts key material or passphrases in messages.
import { promises as fs } from 'node:fs';
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';
import { ConnectionError } from '../errors.js';

const { parseKey } = ssh2.utils;

export type AskPassphrase = (keyFile: string) => Promise<string>;

export interface KeyRequest {
  /** Node name for errors. */
  name: string;
  file: string;
  /** Named by the user (inventory or ssh config): problems are errors, not skips. */
  explicit: boolean;
}

export class KeyLoader {
  private readonly cache = new Map<string, Promise<ParsedKey | ConnectionError | undefined>>();
  // Prompts one at a time, so parallel connects do not interleave questions.
  private promptQueue: Promise<unknown> = Promise.resolve();

  constructor(private readonly askPassphrase?: AskPassphrase) {}

  /**
   * The parsed key, or undefined for a default identity that cannot be used
   * (missing, encrypted with nobody to ask), or the error for an explicit one.
   */
  async load(req: KeyRequest): Promise<ParsedKey | ConnectionError | undefined> {
    let p = this.cache.get(req.file);
    if (!p) {
      p = this.read(req.file, req.explicit);
      this.cache.set(req.file, p);
    }
    const result = await p;
    // The cached error names the first host that hit it; re-address it.
    if (result instanceof ConnectionError && result.host !== req.name) {
      return new ConnectionError(req.name, result.failure, result.message, result.hint);
    }
    return result;
  }

  private async read(file: string, explicit: boolean): Promise<ParsedKey | ConnectionError | undefined> {
    let data: Buffer;
    try {
      data = await fs.readFile(file);
    } catch (err) {
      if (!explicit) return undefined;
      const code = (err as NodeJS.ErrnoException).code;
      return new ConnectionError('', 'config', `cannot read identity file ${file} (${code ?? String(err)})`, 'Check the identityFile path in the inventory or ~/.ssh/config.');
    }
    const text = data.toString('latin1');
    if (/-----BEGIN (ENCRYPTED )?PRIVATE KEY-----/.test(text)) {
      if (!explicit) return undefined;
      return new ConnectionError(
        '',
        'config',
        `identity file ${file} is in PKCS#8 format, which haforge's SSH library cannot read`,
        `Convert it in place with \`ssh-keygen -p -m PEM -f ${file}\` (or \`ssh-keygen -p -f ${file}\` for the OpenSSH format).`,
      );
    }
    let parsed = parseKey(data);
    if (parsed instanceof Error && /no passphrase given/i.test(parsed.message)) {
      if (!this.askPassphrase) {
        if (!explicit) return undefined;
        return new ConnectionError('', 'key-passphrase', `identity file ${file} is encrypted and no passphrase can be asked for`, 'Load the key into ssh-agent (`ssh-add`) or run haforge interactively.');
      }
      const passphrase = await this.prompt(file);
      parsed = parseKey(data, passphrase);
      if (parsed instanceof Error) {
        return new ConnectionError('', 'key-passphrase', `wrong passphrase for identity file ${file}`, 'Run again and type the passphrase of this key, or load it into ssh-agent with `ssh-add`.');
      }
    }
    if (parsed instanceof Error) {
      if (!explicit) return undefined;
      return new ConnectionError('', 'config', `cannot use identity file ${file}: ${parsed.message}`, 'Use a private key in OpenSSH or PEM format.');
    }
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    if (!key || !key.isPrivateKey()) {
      if (!explicit) return undefined;
      return new ConnectionError('', 'config', `identity file ${file} holds no private key`, 'Point identityFile at the private key, not the .pub file.');
    }
    return key;
  }

  private prompt(file: string): Promise<string> {
    const ask = this.askPassphrase!;
    const next = this.promptQueue.then(() => ask(file));
    this.promptQueue = next.catch(() => {});
    return next;
  }
}
