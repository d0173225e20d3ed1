// A reader for the parts of ~/.ssh/config that haforge honours: HostName,
// User, Port, IdentityFile, ProxyJump, UserKnownHostsFile. Semantics follow
// ssh_config(5): the first value obtained for a keyword wins (IdentityFile
// accumulates), Host lines take several patterns with `*`, `?` and
// `!negation`. `Match` blocks cannot be evaluated here and are skipped
// (`Match all` applies to every host). Parsing is pure; Include files are
// read through a callback (see loadSshConfig for the file system version).
import { promises as fs, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { globMatches } from './glob.js';

export interface SshConfigLine {
  keyword: string; // lowercased
  args: string[];
  file: string;
  line: number;
}

export interface SshConfigBlock {
  /** Host patterns; empty for lines before the first Host (apply to all hosts). */
  patterns: string[];
  /** false for a Match block we cannot evaluate. */
  applies: boolean;
  lines: SshConfigLine[];
}

export type IncludeReader = (pattern: string) => { file: string; text: string }[];

export interface ParseOptions {
  file?: string;
  /** Reads the files an `Include` names; without it, Include lines are ignored. */
  readInclude?: IncludeReader;
}

/** The values ssh config gives one host (raw: tokens and ~ not expanded yet). */
export interface HostConfig {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  proxyJump?: string;
  userKnownHostsFiles: string[];
}

export interface JumpHop {
  user?: string;
  host: string;
  port?: number;
}

export function parseSshConfig(text: string, opts: ParseOptions = {}): SshConfigBlock[] {
  const blocks: SshConfigBlock[] = [{ patterns: [], applies: true, lines: [] }];
  const walk = (src: string, file: string, depth: number) => {
    src.split(/\r?\n/).forEach((raw, i) => {
      const parsed = splitLine(raw);
      if (!parsed) return;
      const [keyword, args] = parsed;
      if (keyword === 'host') {
        blocks.push({ patterns: args, applies: true, lines: [] });
      } else if (keyword === 'match') {
        const all = args.length === 1 && args[0]!.toLowerCase() === 'all';
        blocks.push({ patterns: all ? ['*'] : [], applies: all, lines: [] });
      } else if (keyword === 'include') {
        if (!opts.readInclude || depth >= 16) return;
        // Included lines belong to the block the Include appears in; a Host
        // inside the included file starts a new block, and the enclosing
        // block resumes after the include.
        const outer = blocks[blocks.length - 1]!;
        for (const pattern of args) {
          for (const inc of opts.readInclude(pattern)) walk(inc.text, inc.file, depth + 1);
        }
        if (blocks[blocks.length - 1] !== outer) blocks.push({ ...outer, lines: [] });
      } else {
        blocks[blocks.length - 1]!.lines.push({ keyword, args, file, line: i + 1 });
      }
    });
  };
  walk(text, opts.file ?? 'ssh_config', 0);
  return blocks;
}

/** Collect the options that apply to `host` (the name as given, before HostName). */
export function lookupHost(blocks: SshConfigBlock[], host: string): HostConfig {
  const out: HostConfig = { identityFiles: [], userKnownHostsFiles: [] };
  const seen = new Set<string>();
  for (const block of blocks) {
    if (!block.applies) continue;
    if (block.patterns.length > 0 && !patternListMatches(block.patterns, host)) continue;
    for (const { keyword, args } of block.lines) {
      const value = args[0];
      if (value === undefined) continue;
      if (keyword === 'identityfile') {
        out.identityFiles.push(value);
        continue;
      }
      if (seen.has(keyword)) continue; // first value wins
      switch (keyword) {
        case 'hostname':
          out.hostName = value;
          break;
        case 'user':
          out.user = value;
          break;
        case 'port': {
          const port = Number(value);
          if (Number.isInteger(port) && port > 0 && port < 65536) out.port = port;
          break;
        }
        case 'proxyjump':
          out.proxyJump = value;
          break;
        case 'userknownhostsfile':
          out.userKnownHostsFiles = args;
          break;
        default:
          continue;
      }
      seen.add(keyword);
    }
  }
  return out;
}

/** `Host` pattern list: some positive pattern matches and no negated one does. */
export function patternListMatches(patterns: string[], host: string): boolean {
  const name = host.toLowerCase();
  let matched = false;
  for (const p of patterns) {
    const negated = p.startsWith('!');
    if (!globMatches((negated ? p.slice(1) : p).toLowerCase(), name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

export interface TokenValues {
  /** %h: the remote host name (after HostName). */
  host: string;
  /** %n: the host name as given. */
  alias: string;
  /** %r: remote user. */
  user: string;
  /** %p: port. */
  port: number;
  /** %u: local user. */
  localUser: string;
  /** %d and ~: local home directory. */
  home: string;
  /** %l: local host name. */
  localHost?: string;
}

/** Expand `~` and the %-tokens of ssh_config(5) TOKENS in a path. */
export function expandPath(value: string, t: TokenValues): string {
  const withTilde = value === '~' || value.startsWith('~/') ? t.home + value.slice(1) : value;
  return withTilde.replace(/%(.)/g, (whole, c: string) => {
    switch (c) {
      case '%':
        return '%';
      case 'h':
        return t.host;
      case 'n':
        return t.alias;
      case 'r':
        return t.user;
      case 'p':
        return String(t.port);
      case 'u':
        return t.localUser;
      case 'd':
        return t.home;
      case 'l':
        return t.localHost ?? os.hostname().split('.')[0]!;
      default:
        return whole; // unknown token: leave it for the user to see in errors
    }
  });
}

/** `[user@]host[:port]` hops, comma separated; `none` gives []. */
export function parseProxyJump(value: string): JumpHop[] {
  if (value.trim().toLowerCase() === 'none') return [];
  return value.split(',').map((hop) => {
    let rest = hop.trim().replace(/^ssh:\/\//, '');
    let user: string | undefined;
    const at = rest.lastIndexOf('@');
    if (at >= 0) {
      user = rest.slice(0, at);
      rest = rest.slice(at + 1);
    }
    let host = rest;
    let port: number | undefined;
    const m = /^\[(.+)\](?::(\d+))?$/.exec(rest) ?? /^([^:]+)(?::(\d+))?$/.exec(rest);
    if (m) {
      host = m[1]!;
      if (m[2]) port = Number(m[2]);
    }
    if (!host) throw new Error(`bad ProxyJump hop ${JSON.stringify(hop)}`);
    return { user: user || undefined, host, port };
  });
}

/** Read an ssh config file and its Includes. A missing file is an empty config. */
export async function loadSshConfig(file: string, home = os.homedir()): Promise<SshConfigBlock[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const readInclude: IncludeReader = (pattern) => {
    let p = pattern.startsWith('~') ? home + pattern.slice(1) : pattern;
    if (!path.isAbsolute(p)) p = path.join(home, '.ssh', p); // user config: relative to ~/.ssh
    const dir = path.dirname(p);
    const base = path.basename(p);
    let names: string[];
    try {
      names = /[*?]/.test(base) ? readdirSync(dir).filter((n) => globMatches(base, n)).sort() : [base];
    } catch {
      return [];
    }
    return names.flatMap((n) => {
      try {
        return [{ file: path.join(dir, n), text: readFileSync(path.join(dir, n), 'utf8') }];
      } catch {
        return []; // Include of a missing file is not an error in OpenSSH
      }
    });
  };
  return parseSshConfig(text, { file, readInclude });
}

// `Keyword value`, `Keyword=value`, with "double quoted" arguments; undefined for blanks and comments.
function splitLine(raw: string): [string, string[]] | undefined {
  const line = raw.trim();
  if (line === '' || line.startsWith('#')) return undefined;
  const m = /^([A-Za-z][A-Za-z0-9]*)\s*(?:=\s*|\s+)(.*)$/.exec(line);
  if (!m) return undefined;
  const args: string[] = [];
  for (const a of m[2]!.matchAll(/"([^"]*)"|(\S+)/g)) {
    if (a[2]?.startsWith('#')) break;
    args.push(a[1] ?? a[2]!);
  }
  return [m[1]!.toLowerCase(), args];
}
