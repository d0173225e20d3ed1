// Building blocks of CIB XML: name/value sets, operations, primitives.
import { el, type XmlElement } from '../util/xml.js';
import { nvpairId } from './ids.js';

export type NvSetKind = 'instance_attributes' | 'meta_attributes' | 'cluster_property_set';

/** <instance_attributes id=…><nvpair id=… name=… value=…/>…; undefined when there is nothing to set. */
export function nvset(kind: NvSetKind, id: string, values: Record<string, string | number>): XmlElement | undefined {
  const entries = Object.entries(values);
  if (entries.length === 0) return undefined;
  return el(kind, { id }, entries.map(([name, value]) => el('nvpair', { id: nvpairId(id, name), name, value: String(value) })));
}

export interface OpSpec {
  name: 'start' | 'stop' | 'monitor' | 'promote' | 'demote' | 'notify';
  /** Recurring monitors only; other operations run once (interval 0s). */
  interval?: string;
  timeout: string;
  role?: 'Promoted' | 'Unpromoted';
}

export function operations(primitiveId: string, ops: OpSpec[]): XmlElement {
  return el(
    'operations',
    {},
    ops.map((op) => {
      const interval = op.interval ?? '0s';
      return el('op', { id: `${primitiveId}-${op.name}-interval-${interval}`, name: op.name, interval, timeout: op.timeout, role: op.role });
    }),
  );
}

export interface PrimitiveSpec {
  id: string;
  class: string;
  provider?: string;
  type: string;
  params?: Record<string, string>;
  /** Meta attributes (allow-migrate, ...); none: no meta_attributes element. */
  meta?: Record<string, string>;
  ops: OpSpec[];
}

export function primitive(p: PrimitiveSpec): XmlElement {
  return el('primitive', { id: p.id, class: p.class, provider: p.provider, type: p.type }, [
    nvset('instance_attributes', `${p.id}-instance_attributes`, p.params ?? {}),
    nvset('meta_attributes', `${p.id}-meta_attributes`, p.meta ?? {}),
    operations(p.id, p.ops),
  ]);
}

/** start/stop/monitor with the agent's recommended timeouts and the cluster's monitor interval. */
export function basicOps(interval: string, timeouts: { start: string; stop: string; monitor: string }): OpSpec[] {
  return [
    { name: 'monitor', interval, timeout: timeouts.monitor },
    { name: 'start', timeout: timeouts.start },
    { name: 'stop', timeout: timeouts.stop },
  ];
}
