// docs/commands.md, generated from the commands' own definitions (summary,
// description, arguments, flags, examples) by `npm run schema`; a unit test
// keeps it in step, so the reference cannot drift from what the CLI accepts.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

interface FlagDef {
  type?: string;
  char?: string;
  description?: string;
  options?: readonly string[];
  default?: unknown;
  required?: boolean;
  multiple?: boolean;
  hidden?: boolean;
}
interface ArgDef {
  description?: string;
  required?: boolean;
}
/** What the reference reads of an oclif command class. */
export interface CommandDef {
  summary?: string;
  description?: string;
  examples?: readonly (string | { command: string; description?: string })[];
  flags?: Record<string, FlagDef>;
  args?: Record<string, ArgDef>;
  hidden?: boolean;
}

/** Every command module under `dir` (dist/commands or src/commands), as its id ("cib restore") and class. */
export async function loadCommands(dir: string, ext: '.js' | '.ts'): Promise<{ id: string; def: CommandDef }[]> {
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith(ext) && !f.endsWith(`.d${ext}`));
  const out: { id: string; def: CommandDef }[] = [];
  for (const file of files.sort()) {
    const parts = file.slice(0, -ext.length).split(path.sep);
    if (parts.at(-1) === 'index') parts.pop();
    const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as { default?: CommandDef };
    if (mod.default && !mod.default.hidden) out.push({ id: parts.join(' '), def: mod.default });
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n+/g, ' ');

function flagCell(name: string, f: FlagDef): string {
  const value = f.type === 'boolean' ? '' : f.options ? ` ${f.options.join('\\|')}` : ' VALUE';
  return `\`--${name}${value}\`${f.char ? ` (\`-${f.char}\`)` : ''}`;
}

function flagNotes(f: FlagDef): string {
  const notes = [f.required ? 'required' : '', f.multiple ? 'may be given several times' : '', typeof f.default === 'function' || f.default === undefined || f.default === false ? '' : `default ${String(f.default)}`];
  return notes.filter(Boolean).join(', ');
}

export function commandsReference(commands: { id: string; def: CommandDef }[]): string {
  const out = [
    '# Commands',
    '',
    'Generated from the commands themselves (`npm run schema`): every `haforge`',
    'command with its arguments, flags and examples. `haforge COMMAND --help`',
    'prints the same.',
    '',
    ...commands.map(({ id, def }) => `- [\`haforge ${id}\`](#haforge-${id.replace(/ /g, '-')}): ${cell(def.summary ?? def.description?.split('\n')[0] ?? '')}`),
    '',
  ];
  for (const { id, def } of commands) {
    const args = Object.entries(def.args ?? {});
    out.push(`## haforge ${id}`, '');
    out.push(`\`haforge ${id}${args.map(([name, a]) => (a.required ? ` ${name.toUpperCase()}` : ` [${name.toUpperCase()}]`)).join('')} [flags]\``, '');
    if (def.summary) out.push(def.summary, '');
    if (def.description) out.push(def.description.trim(), '');
    if (args.length) {
      out.push('| argument | what |', '|---|---|');
      for (const [name, a] of args) out.push(`| \`${name.toUpperCase()}\` | ${cell(a.description ?? '')}${a.required ? '' : ' (optional)'} |`);
      out.push('');
    }
    const flags = Object.entries(def.flags ?? {}).filter(([, f]) => !f.hidden);
    if (flags.length) {
      out.push('| flag | what | |', '|---|---|---|');
      for (const [name, f] of flags) out.push(`| ${flagCell(name, f)} | ${cell(f.description ?? '')} | ${flagNotes(f)} |`);
      out.push('');
    }
    if (def.examples?.length) out.push('```', ...def.examples.map((e) => (typeof e === 'string' ? e : `${e.command}${e.description ? `   # ${e.description}` : ''}`).replace(/<%= config\.bin %>/g, 'haforge')), '```', '');
  }
  return out.join('\n');
}
