// The live CIB of a running Pacemaker (`cibadmin --query`), as an XML tree.
// It can hold fence passwords: it stays in memory, is never printed whole,
// and the audit log only ever sees the command.
import type { Fact } from '../engine/fact.js';
import { parseXml, XmlError, type XmlElement } from '../util/xml.js';

export type LiveCib =
  | { state: 'running'; cib: XmlElement }
  /** Pacemaker does not answer (not installed, not started, still starting). */
  | { state: 'down'; detail: string }
  | { state: 'unreadable'; detail: string };

export function parseCibQuery(stdout: string, exitCode: number): LiveCib {
  if (exitCode !== 0) return { state: 'down', detail: stdout.trim().split('\n').pop() || `cibadmin exited ${exitCode}` };
  try {
    const cib = parseXml(stdout);
    if (cib.name !== 'cib') return { state: 'unreadable', detail: `cibadmin printed <${cib.name}>, not <cib>` };
    return { state: 'running', cib };
  } catch (err) {
    if (err instanceof XmlError) return { state: 'unreadable', detail: err.message };
    throw err;
  }
}

export const cibFact: Fact<LiveCib> = {
  id: 'pacemaker-cib',
  // The batch drops stderr: on failure, ask again for the reason (it fails fast when Pacemaker is down).
  command: () => ['sh', '-c', 'cibadmin --query || { rc=$?; cibadmin --query 2>&1 >/dev/null | head -n 1; exit $rc; }'],
  parse: parseCibQuery,
};
