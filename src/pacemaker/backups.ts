// The Pacemaker configuration as it was before haforge replaced it: saved
// on the node that replaces it (cibadmin --query --scope configuration),
// one file per replace, the newest BACKUPS_KEPT kept, readable by root only
// from their first byte (a configuration can hold fence passwords). `haforge
// cib restore` puts one back. No I/O here: scripts and their parsing.

export const BACKUP_DIR = '/var/lib/haforge/cib';
export const BACKUPS_KEPT = 10;

/** Saves the live configuration first: a failed save exits non-zero and nothing is replaced. */
const SAVE = `umask 077
mkdir -p ${BACKUP_DIR} && chmod 700 ${BACKUP_DIR} || exit 1
f=${BACKUP_DIR}/$(date -u +%Y%m%dT%H%M%S.%NZ).xml
cibadmin --query --scope configuration > "$f.tmp" && mv "$f.tmp" "$f" || { rm -f "$f.tmp"; echo "could not save the live configuration to $f" >&2; exit 1; }`;

/** After the replace (a restore may be of the oldest copy): keeps the newest BACKUPS_KEPT; the replace's exit code is the script's. */
const REPLACED_THEN_PRUNE = `rc=$?
ls -1 ${BACKUP_DIR}/*.xml | sort -r | tail -n +${BACKUPS_KEPT + 1} | xargs -r rm -f --
exit $rc`;

/** Replaces the configuration with the XML on stdin, after saving the live one. */
export function saveThenReplaceScript(): string[] {
  return ['sh', '-c', `${SAVE}\ncibadmin --replace --scope configuration --xml-pipe\n${REPLACED_THEN_PRUNE}`];
}

/** Lists the saved configurations, newest first: "<name> <bytes>". */
export function listBackupsScript(): string[] {
  return ['sh', '-c', `ls -1 ${BACKUP_DIR}/*.xml 2>/dev/null | sort -r | while read -r f; do printf '%s %s\\n' "\${f##*/}" "$(wc -c < "$f")"; done`];
}

export interface CibBackup {
  name: string;
  bytes: number;
  /** When it was saved (from its name), ISO 8601. */
  savedAt: string;
}

const NAME = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})\.(\d+)Z\.xml$/;

export function parseBackupList(stdout: string): CibBackup[] {
  return stdout
    .split('\n')
    .map((l) => l.trim().split(' '))
    .flatMap(([name, bytes]) => {
      const m = NAME.exec(name ?? '');
      if (!m || !/^\d+$/.test(bytes ?? '')) return [];
      return [{ name: name!, bytes: Number(bytes), savedAt: `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]!.slice(0, 3)}Z` }];
    });
}

/** A backup's name as given by a user: one of the listed, nothing that leaves the directory. */
export function isBackupName(name: string): boolean {
  return NAME.test(name);
}

/** Puts a saved configuration back (the live one saved first, so a restore can be undone too). $1: the backup's name. */
export function restoreScript(name: string): string[] {
  return ['sh', '-c', `[ -f "${BACKUP_DIR}/$1" ] || { echo "no saved configuration $1 in ${BACKUP_DIR}" >&2; exit 1; }\n${SAVE}\ncibadmin --replace --scope configuration --xml-file "${BACKUP_DIR}/$1"\n${REPLACED_THEN_PRUNE}`, 'haforge-cib-restore', name];
}
