// What each configuration file format can hold in one value. The inventory's
// types refuse bad values at load, with their position; these helpers are the
// second line at render time: a value that would split a line into more
// words, end it, open a comment or a block, never reaches the file.
import { UserError } from '../errors.js';
import { oneLine } from '../util/text.js';

interface Format {
  /** Characters the format would read as structure. */
  forbidden: RegExp;
  what: string;
}

// Control characters (a newline above all) end or corrupt a line in every format.
const CONTROL = '\\x00-\\x1f\\x7f';

export const CONFIG_FORMATS = {
  /** ha.cf and authkeys: a directive, then blank-separated words; # starts a comment. */
  'ha.cf': { forbidden: new RegExp(`[\\s#${CONTROL}]`), what: 'blanks, control characters or #' },
  /** haresources: one line; blanks separate resources, :: separates a resource's arguments. */
  haresources: { forbidden: new RegExp(`[\\s#${CONTROL}]|::`), what: 'blanks, control characters, # or ::' },
  /** /etc/fstab and /etc/hosts: blank-separated fields; # starts a comment. */
  fstab: { forbidden: new RegExp(`[\\s#${CONTROL}]`), what: 'blanks, control characters or #' },
  hosts: { forbidden: new RegExp(`[\\s#${CONTROL}]`), what: 'blanks, control characters or #' },
  /** corosync.conf: `key: value` to the end of the line; braces open and close sections. */
  'corosync.conf': { forbidden: new RegExp(`[{}#${CONTROL}]|^\\s|\\s$`), what: 'braces, control characters, #, or blanks at either end' },
  /** drbd.conf: unquoted words end at blanks and ;, braces open sections. */
  drbd: { forbidden: new RegExp(`[\\s;{}"'#${CONTROL}]`), what: 'blanks, control characters, quotes, ; { } or #' },
  /** mon.cf: blank-separated words; # starts a comment. */
  'mon.cf': { forbidden: new RegExp(`[\\s#${CONTROL}]`), what: 'blanks, control characters or #' },
} satisfies Record<string, Format>;

export type ConfigFormat = keyof typeof CONFIG_FORMATS;

/** The value as text for `format`, or a refusal that says which characters the format cannot hold. */
export function configValue(format: ConfigFormat, value: unknown): string {
  if (value === undefined || value === null) throw new UserError(`${format}: a value is missing`, { hint: 'check the inventory' });
  const text = String(value);
  const { forbidden, what } = CONFIG_FORMATS[format];
  if (text === '' || forbidden.test(text)) {
    throw new UserError(`'${oneLine(text)}' cannot be written into ${format}: ${text === '' ? 'it is empty' : `it holds ${what}`}`, {
      hint: 'fix the value in the inventory: haforge writes no value a configuration file would read as something else',
    });
  }
  return text;
}
