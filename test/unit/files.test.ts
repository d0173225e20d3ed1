import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchPieces, buildBatchScript, newNonce, parseBatchOutput, pieceValues } from '../../src/engine/batch.js';
import { request } from '../../src/engine/fact.js';
import { UserError } from '../../src/errors.js';
import { commandFact } from '../../src/facts/command.js';
import { parsePathStates, pathFact, statNames, type PathState } from '../../src/facts/files.js';
import { readTar } from '../../src/util/tar.js';
import { PATH_ARGS, ROOT } from '../fixtures/files/paths.js';

const fixture = (name: string) => readFileSync(path.join(__dirname, '../fixtures/files', name), 'utf8');
const sha = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');
// Files the tests make belong to whoever runs them (root in CI, anyone elsewhere).
const ME = execFileSync('id', ['-un'], { encoding: 'utf8' }).trim();
const MY_GROUP = execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim();
const file = (mode: string, size: number, content: string | Buffer, owner = ME, group = owner === ME ? MY_GROUP : owner) => ({
  type: 'file',
  mode,
  owner,
  group,
  size,
  sha256: sha(content),
  content: Buffer.from(content),
});

describe('path fact: parse of captured output (Debian 12 host, paths-host-debian12.txt)', () => {
  const states = parsePathStates(fixture('paths-host-debian12.txt'), PATH_ARGS.map((a) => a.path));

  it('one state per request, in order', () => {
    expect(states).toHaveLength(PATH_ARGS.length);
  });

  it('files whose content was asked carry it (odd names, long names, empty and binary files included)', () => {
    expect(states[0]).toEqual(file('0644', 5, 'drbd\n', 'root'));
    expect(states[2]).toEqual(file('0644', 9, 'odd name\n', 'root'));
    expect(states[3]).toEqual(file('0644', 10, 'long name\n', 'root'));
    expect(states[4]).toEqual(file('0644', 20, 'newline in the name\n', 'root'));
    expect(states[5]).toEqual(file('0644', 0, '', 'root'));
    expect(states[8]).toEqual(file('0644', 8, Buffer.from([0, 1, 2, 0xff, 0xfe, 10, 13, 0]), 'root'));
    expect(states[10]).toEqual(file('0644', 24, 'owned by nobody we know\n', 'UNKNOWN'));
  });

  it('a secret, a file over the limit and a file whose content was not asked: hashed on the node, no content', () => {
    expect(states[6]).toEqual({ type: 'file', mode: '0600', owner: 'root', group: 'root', size: 21, sha256: sha('auth 1\n1 sha1 secret\n'), content: undefined });
    expect(states[7]).toEqual({ type: 'file', mode: '0644', owner: 'root', group: 'root', size: 307200, sha256: sha(Buffer.alloc(300 * 1024, 'x')), content: undefined });
    expect(states[9]).toEqual({ type: 'file', mode: '4755', owner: 'root', group: 'root', size: 10, sha256: sha('#!/bin/sh\n'), content: undefined });
    // The same path asked twice, with and without content.
    expect(states[17]).toEqual({ ...states[0], content: undefined });
  });

  it('directories, links (dangling, odd targets), other types and missing paths', () => {
    expect(states[1]).toEqual({ type: 'absent' });
    expect(states[11]).toEqual({ type: 'dir', mode: '0750', owner: 'root', group: 'root' });
    expect(states[12]).toEqual({ type: 'link', target: '/replicated/etc/lighttpd' });
    expect(states[13]).toEqual({ type: 'link', target: 'target with\nnewline é' });
    expect(states[14]).toEqual({ type: 'link', target: `${ROOT}/nowhere` });
    expect(states[15]).toEqual({ type: 'other' });
    expect(states[16]).toEqual({ type: 'other' });
    expect(states[18]).toEqual({ type: 'absent' });
  });

  it('a lone parse (no paths given) reads the tar members by the names stat printed', () => {
    expect(parsePathStates(fixture('paths-host-debian12.txt'))).toEqual(states);
  });

  it('output that does not cover every path is an error, not "absent"', () => {
    expect(() => parsePathStates('', ['/a'])).toThrow(/cut short/);
    expect(() => parsePathStates('1\n', ['/a', '/b'])).toThrow(/cut short/);
    expect(pathFact.parse('', 0)).toEqual({ type: 'absent' });
  });
});

describe('statNames (stat %N, QUOTING_STYLE=c)', () => {
  it('decodes names and link targets', () => {
    expect(statNames('"/etc/fstab"')).toEqual({ name: '/etc/fstab' });
    expect(statNames('"/a b" -> "t \\"q\\" \\\\ \\n \\303\\251"')).toEqual({ name: '/a b', target: 't "q" \\ \n é' });
    // Older stat (no QUOTING_STYLE): single quotes, the same escapes.
    expect(statNames("'/var/www/html' -> '/replicated/var/www/html'")).toEqual({ name: '/var/www/html', target: '/replicated/var/www/html' });
    expect(statNames('unquoted')).toEqual({ name: 'unquoted' });
  });
});

describe('readTar', () => {
  it('reads GNU tar members, long names included, as tar wrote them', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hf-tar-'));
    const long = path.join(dir, 'x'.repeat(150));
    writeFileSync(long, 'long\n');
    writeFileSync(path.join(dir, 'bin'), Buffer.from([0, 255, 10]));
    const archive = execFileSync('tar', ['-c', '-P', '--format=gnu', '-b', '1', '-f', '-', '--', long, path.join(dir, 'bin')]);
    const files = readTar(archive);
    expect([...files.keys()]).toEqual([long, path.join(dir, 'bin')]);
    expect(files.get(long)!.toString()).toBe('long\n');
    expect(files.get(path.join(dir, 'bin'))).toEqual(Buffer.from([0, 255, 10]));
    expect(readTar(Buffer.alloc(0)).size).toBe(0);
  });
});

// The batch runs under the real /bin/sh here, as it does on a node.
function runBatch(requests: ReturnType<typeof request>[], env?: NodeJS.ProcessEnv) {
  const pieces = batchPieces(requests);
  const nonce = newNonce();
  const stdout = execFileSync('sh', ['-c', buildBatchScript(pieces, nonce)], { encoding: 'utf8', env });
  return { pieces, values: pieceValues(pieces, parseBatchOutput(stdout, pieces, nonce)) };
}

describe('path fact in a batch: every path in one piece of shell', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hf-paths-'));
  writeFileSync(path.join(dir, 'a.conf'), 'a\n');
  writeFileSync(path.join(dir, 'b.conf'), 'b\n');
  chmodSync(path.join(dir, 'b.conf'), 0o640);
  writeFileSync(path.join(dir, 'secret'), 'key\n');
  mkdirSync(path.join(dir, 'd'));
  symlinkSync('/etc/hostname', path.join(dir, 'l'));
  const requests = [
    request(pathFact, { path: path.join(dir, 'a.conf'), content: true }),
    request(commandFact, { argv: ['sh', '-c', 'echo between'] }),
    request(pathFact, { path: path.join(dir, 'b.conf'), content: true }),
    request(pathFact, { path: path.join(dir, 'nope') }),
    request(pathFact, { path: path.join(dir, 'secret') }),
    request(pathFact, { path: path.join(dir, 'd') }),
    request(pathFact, { path: path.join(dir, 'l') }),
  ];

  it('merges the path requests into one piece where the first was, one stat and one tar for all', () => {
    const pieces = batchPieces(requests);
    expect(pieces.map((p) => p.requests.length)).toEqual([6, 1]);
    expect(pieces[0]!.requests.map((r) => r.key)).toEqual(requests.filter((r) => r.fact === pathFact).map((r) => r.key));
    const script = pieces[0]!.argv[2]!;
    expect(script.match(/\bstat /g)).toHaveLength(1);
    expect(script.match(/\btar /g)).toHaveLength(1);
    expect(script.match(/\bbase64\b/g)).toHaveLength(1);
    // Paths are arguments (quoted by the one quoting function), never parts of the script's code.
    expect(script.split('\n')[0]).toBe(`set -- 1 ${path.join(dir, 'a.conf')} 1 ${path.join(dir, 'b.conf')} 0 ${path.join(dir, 'nope')} 0 ${path.join(dir, 'secret')} 0 ${path.join(dir, 'd')} 0 ${path.join(dir, 'l')}`);
  });

  it('gives each request the state it had alone', () => {
    const { values } = runBatch(requests);
    expect(values.get(requests[0]!.key)).toEqual(file('0644', 2, 'a\n'));
    expect(values.get(requests[1]!.key)).toEqual({ exitCode: 0, stdout: 'between\n' });
    expect(values.get(requests[2]!.key)).toEqual(file('0640', 2, 'b\n'));
    expect(values.get(requests[3]!.key)).toEqual({ type: 'absent' });
    expect(values.get(requests[4]!.key)).toEqual({ type: 'file', mode: '0644', owner: ME, group: MY_GROUP, size: 4, sha256: sha('key\n'), content: undefined });
    expect(values.get(requests[5]!.key)).toMatchObject({ type: 'dir', mode: '0755' });
    expect(values.get(requests[6]!.key)).toEqual({ type: 'link', target: '/etc/hostname' });
    for (const r of requests.filter((x) => x.fact === pathFact)) {
      const [sh, flag, script] = pathFact.command(r.args as never);
      expect(pathFact.parse(execFileSync(sh!, [flag!, script!], { encoding: 'utf8' }), 0)).toEqual(values.get(r.key));
    }
  });

  it('runs stat once, tar and base64 once, sha256sum only for the file whose content is not sent', () => {
    // Wrappers that log each run, then run the real tool.
    const bin = mkdtempSync(path.join(tmpdir(), 'hf-bin-'));
    const log = path.join(bin, 'log');
    for (const tool of ['stat', 'tar', 'base64', 'sha256sum', 'readlink', 'cat']) {
      writeFileSync(path.join(bin, tool), `#!/bin/sh\necho ${tool} >> ${log}\nexec /usr/bin/${tool} "$@"\n`, { mode: 0o755 });
    }
    const { values } = runBatch(requests, { ...process.env, PATH: `${bin}:${process.env.PATH}` });
    expect(values.get(requests[2]!.key)).toEqual(file('0640', 2, 'b\n'));
    expect(readFileSync(log, 'utf8').trim().split('\n').sort()).toEqual(['base64', 'sha256sum', 'stat', 'tar']);
  });

  it('reads again when a path vanishes between the tests and stat; says so after three tries', () => {
    const bin = mkdtempSync(path.join(tmpdir(), 'hf-bin-'));
    const log = path.join(bin, 'log');
    // A stat that finds nothing: what stat sees when every path vanished just after the tests.
    writeFileSync(path.join(bin, 'stat'), `#!/bin/sh\necho stat >> ${log}\nexit 1\n`, { mode: 0o755 });
    const [sh, flag, script] = pathFact.merged!.command([{ path: path.join(dir, 'a.conf'), content: true }]);
    const stdout = execFileSync(sh!, [flag!, script!], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    expect(readFileSync(log, 'utf8')).toBe('stat\nstat\nstat\n');
    expect(() => pathFact.merged!.parse(stdout, 0, [{ path: path.join(dir, 'a.conf') }])).toThrow(UserError);
  });
});

describe('merged facts in the batch engine', () => {
  it('a merged fact that returns the wrong number of values is a bug, not a silent gap', () => {
    const broken = { ...pathFact, merged: { command: pathFact.merged!.command, parse: (): PathState[] => [] } };
    const pieces = batchPieces([request(broken, { path: '/' })]);
    expect(() => pieceValues(pieces, new Map([[0, { stdout: '', exitCode: 0 }]]))).toThrow(/0 values for 1 requests/);
  });
});
