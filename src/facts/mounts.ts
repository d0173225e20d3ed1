// What is mounted where (/proc/self/mounts).
import type { Fact } from '../engine/fact.js';

export interface MountEntry {
  device: string;
  path: string;
  fstype: string;
  options: string;
}

/** /proc/mounts escapes spaces and the like as octal (\040). */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

export function parseMounts(text: string): MountEntry[] {
  return text
    .split('\n')
    .map((line) => line.split(' '))
    .filter((f) => f.length >= 4)
    .map(([device, path, fstype, options]) => ({ device: unescape(device!), path: unescape(path!), fstype: fstype!, options: options! }));
}

export const mountsFact: Fact<MountEntry[]> = {
  id: 'mounts',
  // The shell's read builtin, as cat would print it, without a process.
  command: () => ['sh', '-c', `while IFS= read -r l || [ -n "$l" ]; do printf '%s\\n' "$l"; done < /proc/self/mounts`],
  parse: parseMounts,
};
