// OpenSSH wildcards, as used by Host patterns and known_hosts host fields:
// `*` matches any run of characters, `?` exactly one. Callers lowercase.
export function globMatches(glob: string, name: string): boolean {
  if (!/[*?]/.test(glob)) return glob === name;
  const re = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(name);
}
