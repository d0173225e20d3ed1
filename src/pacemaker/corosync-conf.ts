// What haforge keeps from a corosync.conf it finds on a node (one written by
// pcs, crmsh or by hand): the cluster's identity (totem.cluster_uuid, which
// pcs writes and reads), the node ids of the running members, which a
// reload cannot change, and the logging settings, which haforge does not
// manage. Parsed from the file's text; no I/O here.

export interface LiveCorosyncConf {
  clusterUuid?: string;
  /** nodelist: name -> nodeid */
  nodeIds: Record<string, number>;
  /** The logging section's own settings (its logger_subsys blocks are not kept), in file order; none: haforge's defaults. */
  logging?: { key: string; value: string }[];
}

/** A logging setting kept only when it is plainly one: a word, and a value of path-like characters. */
const LOGGING_KEY = /^[a-z_]{1,40}$/;
const LOGGING_VALUE = /^[\w./:@+-]{1,200}$/;

/** Reads `section { key: value }` nesting; comments (#) and unknown keys are skipped. */
export function parseCorosyncConf(text: string): LiveCorosyncConf {
  const out: LiveCorosyncConf = { nodeIds: {} };
  const path: string[] = [];
  let node: { name?: string; nodeid?: number; ring0?: string } | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    const open = /^([A-Za-z_][\w.-]*)\s*\{$/.exec(line);
    if (open) {
      path.push(open[1]!);
      if (path.join('.') === 'nodelist.node') node = {};
      continue;
    }
    if (line === '}') {
      if (path.join('.') === 'nodelist.node' && node) {
        const name = node.name ?? node.ring0;
        if (name && node.nodeid !== undefined) out.nodeIds[name] = node.nodeid;
        node = undefined;
      }
      path.pop();
      continue;
    }
    const kv = /^([\w.-]+)\s*:\s*(.*)$/.exec(line);
    if (!kv) continue;
    const [, key, value] = kv as unknown as [string, string, string];
    const where = path.join('.');
    if (where === 'logging' && LOGGING_KEY.test(key) && LOGGING_VALUE.test(value)) (out.logging ??= []).push({ key, value });
    if (where === 'totem' && key === 'cluster_uuid' && /^[0-9a-fA-F-]{1,64}$/.test(value)) out.clusterUuid = value;
    if (where === 'nodelist.node' && node) {
      if (key === 'name') node.name = value;
      if (key === 'ring0_addr') node.ring0 = value;
      if (key === 'nodeid' && /^\d+$/.test(value)) node.nodeid = Number(value);
    }
  }
  return out;
}
