// Text from the input shown in messages.

/**
 * Control characters from the input (an escape sequence in a YAML value, in
 * a remote stderr) shown as \xNN: an error message never drives the terminal.
 * Newlines and tabs stay (a remote stderr has lines).
 */
export function visible(text: string): string {
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** A value quoted inside one line of a message: newlines and tabs shown as \n and \t too. */
export function oneLine(text: string): string {
  return visible(text).replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}
