// The ONE place where argv arrays become shell text. Every remote command
// goes through quoteArgv, so no caller ever builds a command by string
// concatenation.

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quote one word for a POSIX shell. */
export function quoteWord(word: string): string {
  if (word !== '' && SAFE.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Quote an argv array into one shell command line. */
export function quoteArgv(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('quoteArgv: empty argv');
  return argv.map(quoteWord).join(' ');
}

/**
 * An argv that runs a shell script with sh -c; `args` become its positional
 * parameters ($1, $2, ...): values travel as data, never as script text.
 */
export function shArgv(script: string, args: readonly string[] = []): string[] {
  return args.length ? ['sh', '-c', script, 'haforge', ...args] : ['sh', '-c', script];
}
