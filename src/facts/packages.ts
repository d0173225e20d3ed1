// Which packages are installed, for dpkg- and rpm-based systems.
import type { Fact } from '../engine/fact.js';
import { shArgv } from '../util/shell.js';

/** Package name -> installed version (absent names are not installed). */
export type InstalledPackages = Record<string, string>;

export const packagesFact: Fact<InstalledPackages, string[]> = {
  id: 'packages',
  // The names are the script's positional parameters: data, never script text.
  command: (names) =>
    shArgv(
      `if command -v dpkg-query >/dev/null 2>&1; then dpkg-query -W -f='\${Package}\\t\${db:Status-Abbrev}\\t\${Version}\\n' -- "$@"
else for n in "$@"; do rpm -q --qf '%{NAME}\\tii \\t%{VERSION}-%{RELEASE}\\n' -- "$n" 2>/dev/null; done; fi; true`,
      names,
    ),
  parse: parseInstalledPackages,
};

/** Parses "name<TAB>status<TAB>version" lines; only status "ii" counts as installed. */
export function parseInstalledPackages(stdout: string): InstalledPackages {
  const installed: InstalledPackages = {};
  for (const line of stdout.split('\n')) {
    const [name, status, version] = line.split('\t');
    if (!name || !status || version === undefined) continue;
    if (status.trim() === 'ii') installed[name.replace(/:.*$/, '')] = version.trim();
  }
  return installed;
}
