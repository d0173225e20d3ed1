// The Pacemaker configuration (CIB) generated from the inventory, loaded
// with Pacemaker's own tools only (no crmsh or pcs on the nodes). Only what
// haforge manages is compared, so a second run is a no-op; resources another
// tool made that run what the inventory's would are taken over in place
// (pacemaker/adoption.ts); a change is
// checked by crm_verify against the live CIB's schema before cibadmin
// replaces the configuration in one transaction, the live one saved first
// (haforge cib restore puts it back). Run it on one node: the
// CIB is cluster-wide.
import { request } from '../engine/fact.js';
import { plannedBefore, type Operation } from '../engine/operation.js';
import { change, fail, noop, type TaskPlan } from '../engine/plan.js';
import type { ClusterSpec } from '../inventory/model.js';
import { cibFact, STORED_CIB } from '../pacemaker/live-cib.js';
import { fencingWarning } from '../fencing/rules.js';
import { configurationIsSecret, generateConfiguration } from '../pacemaker/cib.js';
import { planAdoption, withAdoptedIds } from '../pacemaker/adoption.js';
import { propertyNames, removedResources, restartedResources } from '../pacemaker/managed.js';
import { cibForVerify, mergeConfiguration } from '../pacemaker/merge.js';
import { managedText } from '../pacemaker/normalize.js';
import { BACKUP_DIR, saveThenReplaceScript } from '../pacemaker/backups.js';
import { unifiedDiff } from '../util/diff.js';
import { child, el, serializeXml, type XmlElement } from '../util/xml.js';

const LIVE = request(cibFact, undefined);

// crm_verify's reasons come first and its closing advice last; drop the advice so a
// failed run's message (the last lines of stderr) shows the reasons.
const VERIFY = `out=$(crm_verify --xml-pipe 2>&1); rc=$?
printf '%s\\n' "$out" | grep -v '^-V may provide more details' >&2
exit $rc`;

export const cibOperation: Operation<Record<string, never>> = {
  name: 'cib',
  summary: 'The Pacemaker configuration generated from the inventory: checked with crm_verify and loaded with cibadmin when it differs from the live one (run on one node).',
  idempotent: true,
  predictable: true,
  schema: { type: 'object', additionalProperties: false, properties: {} },
  label: () => 'pacemaker configuration',
  facts: () => [LIVE],
  plan(_a, ctx) {
    const cluster = ctx.cluster;
    if (cluster.stack !== 'pacemaker') return fail(`cluster ${cluster.name} uses ${cluster.stack}, not pacemaker`, 'run the playbook of the cluster\'s stack');
    if (!cluster.fencing) return fail(fencingWarning(cluster)!, 'add fencing devices to the inventory, or fencing: { enabled: false } to run without fencing on purpose');
    const live = ctx.fact(LIVE);
    if (live.state !== 'running') {
      return fail(`Pacemaker does not answer on ${ctx.node.name}: ${live.detail}`, 'corosync and pacemaker must run first (the pacemaker playbook starts them)');
    }
    return replacePlan(cluster, live.cib);
  },
  // Pacemaker started in this run loads the CIB it stored; a new cluster's is empty: all of the inventory's goes in.
  predict(_a, ctx) {
    const cluster = ctx.cluster;
    const live = ctx.fact(LIVE);
    if (cluster.stack !== 'pacemaker' || !cluster.fencing || live.state !== 'down') return undefined;
    if (!plannedBefore(ctx, 'service', { name: 'pacemaker' }, ctx.node.name).length) return undefined;
    const started = `pacemaker started on ${ctx.node.name} in this run`;
    if (live.stored) return { ...replacePlan(cluster, live.stored), predicted: [`${started}: it loads the configuration stored in ${STORED_CIB}`] };
    return { ...replacePlan(cluster, undefined, "a new cluster: the inventory's configuration goes in"), predicted: [`${started}: a new cluster's configuration is empty (no ${STORED_CIB})`] };
  },
};

/** The live configuration (none: a new cluster's, empty) made the inventory's, keeping what others added; `differs` words the change. */
function replacePlan(cluster: ClusterSpec, liveCib: XmlElement | undefined, differs = 'the live configuration differs from the inventory'): TaskPlan {
  const liveConfiguration = liveCib && child(liveCib, 'configuration');
  const generated = generateConfiguration(cluster);
  // The inventory's resources that already run under other ids (a cluster built with pcs) keep those ids.
  const adoption = planAdoption(generated, liveConfiguration);
  if ('refusal' in adoption) {
    return fail(
      `resources haforge did not make already run what the inventory's would, in another shape: ${adoption.refusal}`,
      'shape them as haforge would (one promotable clone per DRBD resource; one group: filesystems, the VIP, the services in the inventory\'s order), or delete them (pcs resource delete / crm configure delete) and let haforge create its own: the services stop while it does',
    );
  }
  const desired = withAdoptedIds(generated, adoption.ids);
  const properties = propertyNames(desired);
  const before = managedText(liveConfiguration ?? el('configuration'), properties, new Set(adoption.ids.values()));
  const after = managedText(desired, properties);
  if (before === after) return noop('the live configuration is the inventory\'s');

  const removed = removedResources(desired, liveConfiguration);
  const restarted = restartedResources(desired, liveConfiguration);
  const merged = mergeConfiguration(desired, liveConfiguration);
  const secret = configurationIsSecret(cluster);
  const effects = [
    adoption.adopted.length && `takes over ${adoption.adopted.join(', ')} in place`,
    removed.length && `removes ${removed.join(', ')} (stopped where they run)`,
    restarted.length && `restarts ${restarted.join(', ')} where they run`,
  ].filter(Boolean);
  // XML travels on stdin only: fence passwords never reach an argv, the audit log or a temp file.
  return change(
    `${differs}${effects.length ? `; ${effects.join('; ')}` : ''}${secret ? ' (holds secrets: diff not shown)' : ''}`,
    [
      { description: 'crm_verify the new configuration (with the live CIB\'s schema)', argv: ['sh', '-c', VERIFY], stdin: serializeXml(cibForVerify(liveCib, merged)) },
      {
        description: `save the live configuration in ${BACKUP_DIR}, cibadmin --replace --scope configuration${removed.length + restarted.length ? ` (${[...removed.map((r) => `removes ${r}`), ...restarted.map((r) => `restarts ${r}`)].join(', ')})` : ''}`,
        argv: saveThenReplaceScript(),
        stdin: serializeXml(merged),
        // Removing a resource stops it, new parameters restart it: asked first (or --yes), like every destructive step.
        destructive: removed.length + restarted.length > 0,
      },
    ],
    { diff: secret ? undefined : unifiedDiff(before, after, 'pacemaker configuration') },
  );
}
