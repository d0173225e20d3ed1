// The live CIB of a running Pacemaker (`cibadmin --query`), as an XML tree.
// It can hold fence passwords: it stays in memory, is never printed whole,
// and the audit log only ever sees the command.
import type { Fact } from '../engine/fact.js';
import { parseXml, XmlError, type XmlElement } from '../util/xml.js';

export type LiveCib =
  | { state: 'running'; cib: XmlElement }
  /**
   * Pacemaker does not answer (not installed, not started, still starting);
   * `stored`: the CIB it left on disk, which it loads when it starts again
   * (none on a node that never ran a cluster).
   */
  | { state: 'down'; detail: string; stored?: XmlElement }
  | { state: 'unreadable'; detail: string };

/** Where Pacemaker keeps the CIB between runs. */
export const STORED_CIB = '/var/lib/pacemaker/cib/cib.xml';
const STORED_MARK = '== stored';

export function parseCibQuery(stdout: string, exitCode: number): LiveCib {
  if (exitCode !== 0) {
    const [reason = '', stored] = stdout.split(`${STORED_MARK}\n`);
    const detail = reason.trim().split('\n').pop() || `cibadmin exited ${exitCode}`;
    const cib = stored === undefined ? undefined : parseStored(stored);
    return cib ? { state: 'down', detail, stored: cib } : { state: 'down', detail };
  }
  try {
    const cib = parseXml(stdout);
    if (cib.name !== 'cib') return { state: 'unreadable', detail: `cibadmin printed <${cib.name}>, not <cib>` };
    return { state: 'running', cib };
  } catch (err) {
    if (err instanceof XmlError) return { state: 'unreadable', detail: err.message };
    throw err;
  }
}

/** The stored CIB, if it is one (a file half-written or foreign tells nothing). */
function parseStored(text: string): XmlElement | undefined {
  try {
    const cib = parseXml(text);
    return cib.name === 'cib' ? cib : undefined;
  } catch (err) {
    if (err instanceof XmlError) return undefined;
    throw err;
  }
}

export const cibFact: Fact<LiveCib> = {
  id: 'pacemaker-cib',
  // The batch drops stderr: on failure, ask again for the reason (it fails fast when Pacemaker is down),
  // and read the CIB Pacemaker stored, which check mode's prediction starts from.
  command: () => ['sh', '-c', `cibadmin --query || { rc=$?; cibadmin --query 2>&1 >/dev/null | head -n 1; if [ -s ${STORED_CIB} ]; then echo '${STORED_MARK}'; cat ${STORED_CIB}; fi; exit $rc; }`],
  parse: parseCibQuery,
};
