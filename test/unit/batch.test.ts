import { execFileSync } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchPieces, buildBatchScript, newNonce, parseBatchOutput, pieceValues } from '../../src/engine/batch.js';
import { request } from '../../src/engine/fact.js';
import { commandFact } from '../../src/facts/command.js';
import { pathFact, type PathState } from '../../src/facts/files.js';
import { quoteArgv } from '../../src/util/shell.js';

// The batch runs under the real /bin/sh here, as it does on a node.
function runBatch(requests: ReturnType<typeof request>[]) {
  const pieces = batchPieces(requests);
  const nonce = newNonce();
  const stdout = execFileSync('sh', ['-c', buildBatchScript(pieces, nonce)], { encoding: 'utf8' });
  return pieceValues(pieces, parseBatchOutput(stdout, pieces, nonce));
}

describe('quoteArgv', () => {
  it('round-trips hostile words through a real shell', () => {
    const words = ['plain', 'with space', "it's", '$(rm -rf /)', '`x`', 'a"b', 'semi;colon', '', 'new\nline', '*', '~'];
    const out = execFileSync('sh', ['-c', `printf '%s\\0' ${quoteArgv(words)}`], { encoding: 'utf8' });
    expect(out.split('\0').slice(0, -1)).toEqual(words);
  });
});

describe('fact batch', () => {
  it('keeps each fact output and exit code apart, whatever the output looks like', () => {
    const reqs = [
      request(commandFact, { argv: ['sh', '-c', 'printf "no newline"'] }),
      request(commandFact, { argv: ['sh', '-c', 'echo "fake marker @@HF0000 0 0"; exit 3'] }),
      request(commandFact, { argv: ['printf', '%s\n\n', 'two blank'] }),
      request(commandFact, { argv: ['sh', '-c', 'true'] }),
    ];
    const out = runBatch(reqs);
    expect(out.get(reqs[0]!.key)).toEqual({ stdout: 'no newline', exitCode: 0 });
    expect(out.get(reqs[1]!.key)).toEqual({ stdout: 'fake marker @@HF0000 0 0\n', exitCode: 3 });
    expect(out.get(reqs[2]!.key)).toEqual({ stdout: 'two blank\n\n', exitCode: 0 });
    expect(out.get(reqs[3]!.key)).toEqual({ stdout: '', exitCode: 0 });
    // Unmerged facts: one piece each, in order.
    expect(batchPieces(reqs).map((p) => p.requests)).toEqual(reqs.map((r) => [r]));
  });

  it('reads path state: file with content, dir, link, absent, odd names', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hf-batch-'));
    const odd = path.join(dir, "it's a $file");
    writeFileSync(odd, 'hello\nworld\n');
    chmodSync(odd, 0o640);
    mkdirSync(path.join(dir, 'd'), { mode: 0o750 });
    symlinkSync('/etc/hostname', path.join(dir, 'l'));
    writeFileSync(path.join(dir, 'empty'), '');
    const reqs = [odd, path.join(dir, 'd'), path.join(dir, 'l'), path.join(dir, 'nope'), path.join(dir, 'empty')].map((p) =>
      request(pathFact, { path: p, content: true }),
    );
    const out = runBatch(reqs);
    const parsed = reqs.map((r) => out.get(r.key) as PathState);
    expect(parsed[0]).toMatchObject({ type: 'file', mode: '0640', size: 12 });
    expect((parsed[0] as { content: Buffer }).content.toString()).toBe('hello\nworld\n');
    expect(parsed[1]).toMatchObject({ type: 'dir', mode: '0750' });
    expect(parsed[2]).toEqual({ type: 'link', target: '/etc/hostname' });
    expect(parsed[3]).toEqual({ type: 'absent' });
    expect(parsed[4]).toMatchObject({ type: 'file', size: 0, sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' });
    expect((parsed[4] as { content: Buffer }).content.length).toBe(0);
  });
});
