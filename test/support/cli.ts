// Runs the built haforge binary (npm test builds it first; a lone test file
// run builds it if dist/ is missing).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');

export function ensureBuilt(): void {
  if (!existsSync(path.join(ROOT, 'dist/commands'))) {
    const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`build failed:\n${r.stdout}${r.stderr}`);
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function haforge(args: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): CliResult {
  const r = spawnSync('node', [path.join(ROOT, 'bin/run.js'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    timeout: opts.timeoutMs ?? 120_000,
    input: '',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
