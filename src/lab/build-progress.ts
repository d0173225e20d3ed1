// How far a lab image build has come, read from its log: debootstrap's
// "I: Retrieving / Extracting / Unpacking / Configuring <package>" lines, then
// apt-get's "N newly installed" and one "Setting up <package>" per package.
// The build shows it every few seconds, so a long step never sits silent.

const count = (log: string, re: RegExp) => (log.match(re) ?? []).length;

/** One line of progress for the build log so far, or undefined before anything is logged. */
export function buildProgress(log: string): string | undefined {
  const total = /^\d+ upgraded, (\d+) newly installed/m.exec(log);
  if (total) {
    const setUp = count(log.slice(total.index), /^Setting up /gm);
    const unpacked = count(log.slice(total.index), /^Unpacking /gm);
    return setUp ? `cluster packages: ${setUp} of ${total[1]} set up` : `cluster packages: ${unpacked} of ${total[1]} unpacked`;
  }
  if (/^I: Base system installed successfully/m.test(log)) return 'debootstrap done; resolving the cluster packages';
  // Retrieving InRelease / Packages are indexes, not packages.
  const retrieved = count(log, /^I: Retrieving (?!InRelease|Packages)\S+ /gm);
  if (!retrieved) return log.trim() ? 'debootstrap: reading the mirror\'s index' : undefined;
  const configured = count(log, /^I: Configuring (?!\S+ packages\.\.\.)\S+\.\.\./gm);
  if (configured) return `debootstrap: ${configured} of ${retrieved} packages configured`;
  const unpacked = count(log, /^I: (Extracting|Unpacking) (?!\S+ packages\.\.\.)\S+\.\.\./gm);
  if (unpacked) return `debootstrap: ${retrieved} packages downloaded, unpacking`;
  return `debootstrap: ${retrieved} packages downloaded`;
}
