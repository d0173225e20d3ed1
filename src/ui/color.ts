// Colours only for a terminal that wants them (NO_COLOR respected).
const enabled = process.stdout.isTTY && !process.env.NO_COLOR;
const wrap = (code: string) => (s: string) => (enabled ? `\u001b[${code}m${s}\u001b[0m` : s);

export const color = {
  green: wrap('32'),
  yellow: wrap('33'),
  red: wrap('31'),
  cyan: wrap('36'),
  dim: wrap('2'),
  bold: wrap('1'),
};
