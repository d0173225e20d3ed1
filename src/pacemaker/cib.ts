// The Pacemaker configuration haforge generates from the inventory: pure,
// no I/O. The result is the <configuration> element without <nodes>
// (Pacemaker adds nodes itself as they join; see merge.ts for what is kept
// from the live CIB when this replaces it).
import { isSecretName } from '../util/secrets.js';
import { sbdTimeouts } from '../fencing/sbd.js';
import type { ClusterSpec, PacemakerSpec } from '../inventory/model.js';
import { el, type XmlElement } from '../util/xml.js';
import { constraintsSection } from './constraints.js';
import { OP_DEFAULTS_ID, PROPERTY_SET_ID, RSC_DEFAULTS_ID } from './ids.js';
import { nvset } from './parts.js';
import { expectsGroup, resourcesSection } from './resources.js';

/** A floor for operations that name no timeout (probes of agents without a monitor op). */
export const DEFAULT_OP_TIMEOUT = '60s';

export function clusterProperties(cluster: ClusterSpec, pcmk: PacemakerSpec): Record<string, string> {
  const sbd = cluster.fencing?.enabled ? cluster.fencing.sbd : undefined;
  const t = sbd && sbdTimeouts(sbd, cluster.corosync);
  return {
    'stonith-enabled': cluster.fencing?.enabled ? 'true' : 'false',
    // SBD's arithmetic (fencing/sbd.ts): Pacemaker waits for the pill's msgwait and more;
    // in a two-node fence race the node that runs the services fences first.
    ...(t ? { 'stonith-timeout': `${t.stonithTimeout}s` } : {}),
    ...(t && cluster.nodes.length === 2 ? { 'priority-fencing-delay': `${t.priorityFencingDelay}s` } : {}),
    'no-quorum-policy': pcmk.noQuorumPolicy,
    ...pcmk.properties,
  };
}

export function generateConfiguration(cluster: ClusterSpec): XmlElement {
  const pcmk = cluster.pacemaker;
  if (!pcmk) throw new Error(`cluster ${cluster.name} has no pacemaker settings (stack: ${cluster.stack})`);
  const interval = pcmk.monitorInterval;
  return el('configuration', {}, [
    el('crm_config', {}, [nvset('cluster_property_set', PROPERTY_SET_ID, clusterProperties(cluster, pcmk))]),
    resourcesSection(cluster, interval),
    constraintsSection(cluster, pcmk.resourceStickiness, expectsGroup(cluster)),
    el('rsc_defaults', {}, [
      nvset('meta_attributes', RSC_DEFAULTS_ID, {
        'resource-stickiness': pcmk.resourceStickiness,
        'migration-threshold': pcmk.migrationThreshold,
        'failure-timeout': pcmk.failureTimeout,
      }),
    ]),
    el('op_defaults', {}, [nvset('meta_attributes', OP_DEFAULTS_ID, { timeout: DEFAULT_OP_TIMEOUT })]),
  ]);
}

/** Fence passwords (and any parameter named like a secret) make the whole configuration secret. */
export function configurationIsSecret(cluster: ClusterSpec): boolean {
  const params = [...(cluster.fencing?.devices ?? []).map((d) => d.params), ...cluster.services.map((s) => s.params)];
  return params.some((p) => Object.keys(p).some(isSecretName));
}
