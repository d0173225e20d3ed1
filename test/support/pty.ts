// The built haforge under a real pseudo-terminal (util-linux `script`), so
// that it sees a TTY and asks its questions; the test answers them as a
// person would, waiting for each question before typing.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { quoteArgv } from '../../src/util/shell.js';
import { ROOT } from './cli.js';

export const KEY = { enter: '\r', down: '\u001b[B', ctrlC: '\u0003' };

/** Why a pty cannot be used here, or undefined. */
export function ptyUnavailableReason(): string | undefined {
  const r = spawnSync('script', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : 'util-linux `script` is missing (Debian: bsdutils)';
}

const ANSI = /\u001b\[[0-9;?]*[A-Za-z]|\u001b[()][A-Z0-9]|\r/g;

export class PtySession {
  private raw = '';
  /** How far expect() has read: each question is matched once, in order. */
  private mark = 0;
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;

  constructor(args: string[], opts: { env?: Record<string, string> } = {}) {
    // A wide terminal, so long questions are not wrapped in the middle of a match.
    const cmd = `stty cols 200 rows 50; exec ${quoteArgv(['node', path.join(ROOT, 'bin/run.js'), ...args])}`;
    this.child = spawn('script', ['-qefc', cmd, '/dev/null'], {
      cwd: ROOT,
      env: { ...process.env, TERM: 'xterm', NO_COLOR: '1', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d: Buffer) => (this.raw += d.toString('utf8')));
    this.child.stderr!.on('data', (d: Buffer) => (this.raw += d.toString('utf8')));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  /** Everything shown so far, without terminal escapes. */
  get output(): string {
    return this.raw.replace(ANSI, '');
  }

  /** Waits until `re` shows up after what was already matched; returns the text up to it. */
  async expect(re: RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this.output.slice(this.mark);
      const m = re.exec(text);
      if (m) {
        this.mark += m.index + m[0].length;
        return text.slice(0, m.index + m[0].length);
      }
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(`no ${re} on the terminal${this.child.exitCode !== null ? ` (haforge exited ${this.child.exitCode})` : ''}; after the last match it shows:\n${text}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  send(keys: string): void {
    this.child.stdin!.write(keys);
  }

  /** Waits for a question, then types the answer and Enter. */
  async answer(question: RegExp, text: string): Promise<string> {
    const shown = await this.expect(question);
    this.send(text + KEY.enter);
    return shown;
  }

  async exit(timeoutMs = 30_000): Promise<number | null> {
    const timer = setTimeout(() => this.kill(), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.pid) {
      try {
        process.kill(this.child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
}
