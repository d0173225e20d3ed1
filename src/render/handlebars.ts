// The one Handlebars instance: strict (an unknown variable is an error, not
// an empty string), no HTML escaping (we render config files, not pages).
import type { LiveCorosyncConf } from '../pacemaker/corosync-conf.js';
import Handlebars from 'handlebars';
import { UserError, type SourcePosition } from '../errors.js';
import { nicCarrying, type InterfaceAddress } from '../facts/addresses.js';
import { stonithHostLine } from '../fencing/heartbeat-stonith.js';
import { sbdDefaults } from '../fencing/sbd.js';
import type { SbdSpec } from '../inventory/model.js';
import { CONFIG_FORMATS, configValue, type ConfigFormat } from './formats.js';

const hb = Handlebars.create();

hb.registerHelper('join', (list: unknown, sep: unknown) =>
  Array.isArray(list) ? list.join(typeof sep === 'string' ? sep : ', ') : String(list ?? ''),
);
hb.registerHelper('default', (value: unknown, fallback: unknown) => (value === undefined || value === null || value === '' ? fallback : value));
hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
hb.registerHelper('ne', (a: unknown, b: unknown) => a !== b);
hb.registerHelper('or', (...args: unknown[]) => args.slice(0, -1).some(Boolean));
hb.registerHelper('and', (...args: unknown[]) => args.slice(0, -1).every(Boolean));
hb.registerHelper('indent', (text: unknown, width: unknown) => {
  const pad = ' '.repeat(typeof width === 'number' ? width : 2);
  return String(text ?? '')
    .split('\n')
    .map((line) => (line ? pad + line : line))
    .join('\n');
});
hb.registerHelper('json', (value: unknown) => JSON.stringify(value));
/** Arithmetic for numbering: `nodeid: {{add @index 1}}`. */
hb.registerHelper('add', (a: unknown, b: unknown) => Number(a) + Number(b));
/** The items of a list whose `key` is set: `{{#each (select_with cluster.services "port")}}`. */
hb.registerHelper('select_with', (list: unknown, key: unknown) => (Array.isArray(list) ? list.filter((x) => x && typeof x === 'object' && (x as Record<string, unknown>)[String(key)]) : []));
/** A template's refusal: `{{refuse "words " name " more words" hint="how to fix it"}}` stops with that message. */
hb.registerHelper('refuse', (...args: unknown[]) => {
  const options = args.pop() as Handlebars.HelperOptions;
  throw new UserError(args.map(String).join(''), { hint: options.hash.hint as string | undefined });
});
/**
 * A node's corosync nodeid: its place in the inventory (1, 2, ...), unless
 * the corosync.conf found on the node gives it another one: a running
 * member's id cannot change by a reload, so that is refused.
 */
hb.registerHelper('corosync_nodeid', (name: unknown, index: unknown, live: unknown) => {
  const want = Number(index) + 1;
  const have = (live as LiveCorosyncConf | undefined)?.nodeIds?.[String(name)];
  if (have !== undefined && have !== want) {
    throw new UserError(`corosync.conf on this node gives ${String(name)} nodeid ${have}; the inventory's order would make it ${want}, and a running member's id cannot change`, {
      hint: 'list the nodes in the inventory in the order of their nodeids (corosync-cmapctl nodelist shows them)',
    });
  }
  return want;
});
/** The interface that carries an address, from the host's facts: `{{nic_of node.replication_address facts.addresses}}`. */
hb.registerHelper('nic_of', (address: unknown, addresses: unknown) => {
  const list = (Array.isArray(addresses) ? addresses : []) as InterfaceAddress[];
  const nic = nicCarrying(String(address), list);
  if (nic) return nic;
  const have = list.filter((a) => a.nic !== 'lo').map((a) => `${a.nic} ${a.address}/${a.prefix}`);
  throw new UserError(`no network interface carries ${String(address)} (this node has ${have.join(', ') || 'no IPv4 address'})`, {
    hint: 'configure the address on the node, or fix the inventory (replication_address, ring1_address, heartbeat.interface)',
  });
});
hb.registerHelper('heartbeat_stonith', (device: unknown) => stonithHostLine(device as Parameters<typeof stonithHostLine>[0]));
/** /etc/default/sbd for the inventory's SBD: `{{sbd_defaults cluster.fencing.sbd}}`. */
hb.registerHelper('sbd_defaults', (sbd: unknown) => sbdDefaults(sbd as SbdSpec));

/** A value as one word of a configuration file, refused when the format would read it as more: `{{conf "ha.cf" node.name}}`. */
hb.registerHelper('conf', (format: unknown, value: unknown) => {
  if (typeof format !== 'string' || !(format in CONFIG_FORMATS)) throw new Error(`conf: unknown format ${String(format)} (known: ${Object.keys(CONFIG_FORMATS).join(', ')})`);
  return configValue(format as ConfigFormat, value);
});

const cache = new Map<string, Handlebars.TemplateDelegate>();

/**
 * Renders a template. `source` names where it came from (a file, or a
 * playbook position) for error messages.
 */
export function render(template: string, context: object, source: string | SourcePosition): string {
  try {
    let compiled = cache.get(template);
    if (!compiled) {
      compiled = hb.compile(template, { strict: true, noEscape: true });
      cache.set(template, compiled);
    }
    return compiled(context);
  } catch (err) {
    const position = typeof source === 'string' ? undefined : source;
    const where = typeof source === 'string' ? ` in ${source}` : '';
    // A helper's own refusal already says what is wrong and how to fix it.
    if (err instanceof UserError) throw new UserError(`${err.message}${where ? ` (${where.trim()})` : ''}`, { position: position ?? err.position, hint: err.hint });
    const message = (err as Error).message.split('\n')[0] ?? String(err);
    throw new UserError(`template error${where}: ${message}`, {
      position,
      hint: /not defined/.test(message)
        ? 'define the variable in the inventory (vars), the play, or with --var key=value'
        : 'check the {{ }} expressions',
    });
  }
}

/** Renders every string inside a value (task args), leaving other types alone. */
export function renderDeep<T>(value: T, context: object, source: string | SourcePosition): T {
  if (typeof value === 'string') {
    if (!value.includes('{{')) return value;
    // "{{item.paths}}" alone passes a list or map through as it is, not as text.
    const whole = /^\{\{\s*([A-Za-z_][\w.]*)\s*\}\}$/.exec(value);
    const raw = whole ? lookupPath(context, whole[1]!) : undefined;
    if (raw !== null && typeof raw === 'object') return structuredClone(raw) as T;
    return render(value, context, source) as T;
  }
  if (Array.isArray(value)) return value.map((v) => renderDeep(v, context, source)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderDeep(v, context, source)])) as T;
  }
  return value;
}


/** A dotted name's value in a context (undefined when any step is missing). */
export function lookupPath(context: object, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((v, key) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), context);
}
