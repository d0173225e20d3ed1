import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveTarget } from '../../src/transport/resolve.js';
import {
  expandPath,
  loadSshConfig,
  lookupHost,
  parseProxyJump,
  parseSshConfig,
  patternListMatches,
} from '../../src/transport/ssh-config.js';

const FIX = path.join(__dirname, '../fixtures/ssh');
const HOME = '/home/me';
const ENV = { home: HOME, localUser: 'me' };

describe('parseSshConfig + lookupHost', () => {
  // Includes are resolved by loadSshConfig; here, parsing alone.
  const blocks = parseSshConfig(readFileSync(path.join(FIX, 'config'), 'utf8'));

  it('takes the first value of each keyword and accumulates IdentityFile', () => {
    expect(lookupHost(blocks, 'alias1')).toEqual({
      hostName: '10.1.1.1',
      user: 'admin',
      port: 2201,
      identityFiles: ['~/.ssh/alias1_key', '~/.ssh/%h_%r_%p', '~/.ssh/id_default'],
      userKnownHostsFiles: ['~/.ssh/known_hosts_%h', '~/.ssh/known_hosts2'],
    });
  });

  it('matches several patterns with ? and * and honours !negation, Key=Value syntax', () => {
    expect(lookupHost(blocks, 'web1')).toMatchObject({ user: 'webby', port: 2202 });
    expect(lookupHost(blocks, 'dbmain')).toMatchObject({ user: 'webby', port: 2202 });
    expect(lookupHost(blocks, 'web9')).toMatchObject({ user: 'defaultuser', port: 22 });
    expect(lookupHost(blocks, 'web12')).toMatchObject({ user: 'defaultuser' });
  });

  it('skips Match blocks it cannot evaluate, without failing', () => {
    expect(lookupHost(blocks, 'matchme').user).toBe('defaultuser');
  });

  it('reads quoted patterns and case-insensitive host names', () => {
    expect(lookupHost(blocks, 'quoted host').hostName).toBe('quoted.example.com');
    expect(lookupHost(blocks, 'ALIAS1').hostName).toBe('10.1.1.1');
  });

  it('reads ProxyJump, including none', () => {
    expect(lookupHost(blocks, 'viajump').proxyJump).toBe('jumpuser@bastion.example.com:2222');
    expect(lookupHost(blocks, 'nojump').proxyJump).toBe('none');
    expect(lookupHost(blocks, 'other').proxyJump).toBeUndefined();
  });

  it('applies Match all like Host *', () => {
    const b = parseSshConfig('Match all\n  User everyone\n');
    expect(lookupHost(b, 'x').user).toBe('everyone');
  });

  it('ignores Include without a reader, and comments and blank lines', () => {
    expect(lookupHost(blocks, 'included').hostName).toBeUndefined();
    expect(parseSshConfig('# c\n\n   \nHost a # trailing\n  Port 5\n').at(-1)).toMatchObject({ patterns: ['a'] });
  });

  it('ignores a bad Port', () => {
    expect(lookupHost(parseSshConfig('Port 99999\nPort 7\n'), 'x').port).toBeUndefined();
  });
});

describe('loadSshConfig', () => {
  it('puts included lines through the reader given', () => {
    const abs = parseSshConfig('Include config.d/*.conf\n', {
      readInclude: () => [{ file: 'x', text: readFileSync(path.join(FIX, 'config.d/10-extra.conf'), 'utf8') }],
    });
    expect(lookupHost(abs, 'included')).toMatchObject({ hostName: 'inc.example.com', user: 'incuser' });
  });

  it('reads real Include files from disk, relative to ~/.ssh', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'hf-sshcfg-'));
    try {
      mkdirSync(path.join(home, '.ssh/config.d'), { recursive: true });
      writeFileSync(path.join(home, '.ssh/config'), 'Host top\n  User topuser\nInclude config.d/*.conf\nHost after\n  User afteruser\n');
      writeFileSync(path.join(home, '.ssh/config.d/a.conf'), 'Host inc\n  User incuser\n');
      const blocks = await loadSshConfig(path.join(home, '.ssh/config'), home);
      expect(lookupHost(blocks, 'inc').user).toBe('incuser');
      expect(lookupHost(blocks, 'after').user).toBe('afteruser');
      expect(lookupHost(blocks, 'top').user).toBe('topuser');
      expect(await loadSshConfig(path.join(home, 'missing'), home)).toEqual([]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('patterns, tokens, ProxyJump', () => {
  it('matches pattern lists', () => {
    expect(patternListMatches(['*', '!10.*'], 'host')).toBe(true);
    expect(patternListMatches(['*', '!10.*'], '10.0.0.1')).toBe(false);
    expect(patternListMatches(['!only'], 'x')).toBe(false); // a negation alone matches nothing
  });

  it('expands ~ and %h %r %p %u %d %n %%', () => {
    const t = { host: '10.0.0.1', alias: 'web1', user: 'root', port: 2222, localUser: 'me', home: HOME };
    expect(expandPath('~/.ssh/%h_%r_%p', t)).toBe('/home/me/.ssh/10.0.0.1_root_2222');
    expect(expandPath('%d/%u/%n/100%%', t)).toBe('/home/me/me/web1/100%');
    expect(expandPath('/abs/~/x', t)).toBe('/abs/~/x');
  });

  it('parses ProxyJump hops', () => {
    expect(parseProxyJump('bastion')).toEqual([{ host: 'bastion', user: undefined, port: undefined }]);
    expect(parseProxyJump('u@b:2222')).toEqual([{ user: 'u', host: 'b', port: 2222 }]);
    expect(parseProxyJump('a,ssh://u@[fe80::1]:22')).toEqual([
      { host: 'a', user: undefined, port: undefined },
      { user: 'u', host: 'fe80::1', port: 22 },
    ]);
    expect(parseProxyJump('none')).toEqual([]);
  });
});

describe('resolveTarget precedence: inventory > ssh config > defaults', () => {
  const blocks = parseSshConfig(readFileSync(path.join(FIX, 'config'), 'utf8'));

  it('uses ssh config when the inventory says nothing', () => {
    const r = resolveTarget({ name: 'n1', host: 'alias1' }, blocks, ENV);
    expect(r).toMatchObject({ label: 'n1', host: '10.1.1.1', port: 2201, user: 'admin', sudo: false, jumps: [] });
    expect(r.identityFiles).toEqual(['/home/me/.ssh/alias1_key', '/home/me/.ssh/10.1.1.1_admin_2201', '/home/me/.ssh/id_default']);
    expect(r.explicitIdentity).toBe(true);
    expect(r.knownHostsFile).toBe('/home/me/.ssh/known_hosts_10.1.1.1');
  });

  it('lets inventory values win', () => {
    const r = resolveTarget(
      { name: 'n1', host: 'alias1', port: 22, user: 'root', identityFile: '~/k', knownHostsFile: '/kh', sudo: true, proxyJump: 'none' },
      blocks,
      ENV,
    );
    expect(r).toMatchObject({ host: '10.1.1.1', port: 22, user: 'root', identityFiles: ['/home/me/k'], knownHostsFile: '/kh', sudo: true, jumps: [] });
  });

  it('falls back to defaults without any config', () => {
    const r = resolveTarget({ name: 'n1', host: '10.0.0.5' }, [], ENV);
    expect(r).toMatchObject({ host: '10.0.0.5', port: 22, user: 'me', knownHostsFile: '/home/me/.ssh/known_hosts', explicitIdentity: false });
    expect(r.identityFiles).toEqual(['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => `/home/me/.ssh/${f}`));
  });

  it('resolves jump hosts through ssh config, with the target known_hosts file', () => {
    const r = resolveTarget({ name: 'n1', host: 'viajump', knownHostsFile: '/kh' }, blocks, ENV);
    expect(r.host).toBe('10.1.1.5');
    expect(r.jumps).toHaveLength(1);
    expect(r.jumps[0]).toMatchObject({ host: 'bastion.example.com', port: 2222, user: 'jumpuser', identityFiles: ['/keys/bastion', '/home/me/.ssh/id_default'], knownHostsFile: '/kh' });
  });

  it('gives a jump host without a key of its own the target key', () => {
    const r = resolveTarget({ name: 'n1', host: '10.0.0.2', identityFile: '/k/test', proxyJump: 'root@10.0.0.1' }, [], ENV);
    expect(r.jumps[0]).toMatchObject({ host: '10.0.0.1', user: 'root', port: 22 });
    expect(r.jumps[0]!.identityFiles[0]).toBe('/k/test');
  });

  it('resolves comma chains in order', () => {
    const r = resolveTarget({ name: 'n1', host: 'chain' }, blocks, ENV);
    expect(r.jumps.map((j) => `${j.user}@${j.host}:${j.port}`)).toEqual(['defaultuser@bastion1:22', 'admin@bastion2:22']);
  });
});
