// What `haforge init` checks on the nodes while it asks: who answers at an
// address (uname -n, OS, login uid, IPv4 addresses) and what a disk holds.
// One SSH connection per target, kept for the whole wizard; a node that
// cannot be reached is a result, never an exception.
import { AuditLog, AuditedConnection } from '../engine/audit.js';
import { request } from '../engine/fact.js';
import { gatherFacts } from '../engine/gather.js';
import { ConnectionError, HaforgeError, type ConnectionFailure } from '../errors.js';
import { addressesFact, type InterfaceAddress } from '../facts/addresses.js';
import { blockDeviceFact, type BlockDeviceState } from '../facts/blockdev.js';
import { systemFact } from '../facts/system.js';
import { connectAll } from '../transport/ssh.js';
import type { Connection } from '../transport/types.js';
import { transportOptions, type ConnectOptions } from '../engine/run-context.js';

export interface ProbeTarget {
  host: string;
  user?: string;
  port?: number;
  identityFile?: string;
  knownHostsFile?: string;
  sudo?: boolean;
}

export interface HostInfo {
  /** `uname -n` */
  hostname: string;
  os: string;
  kernel: string;
  /** The login's uid: not 0 means commands need sudo. */
  uid: number;
  addresses: InterfaceAddress[];
}

export interface ProbeError {
  message: string;
  hint?: string;
  failure?: ConnectionFailure;
  /** host-key-unknown: the key offered, to approve exactly it. */
  offeredHostKey?: Buffer;
}

export type Probe<T> = { ok: true; value: T } | { ok: false; error: ProbeError };

export interface Prober {
  /** approvedHostKey: the unknown key the user approved; recorded only if the host offers it again. */
  host(target: ProbeTarget, opts?: { approvedHostKey?: Buffer }): Promise<Probe<HostInfo>>;
  disk(target: ProbeTarget, device: string): Promise<Probe<BlockDeviceState>>;
  close(): Promise<void>;
}

export interface SshProberOptions extends ConnectOptions {
  /** Per connection attempt; a wizard should not hang on a dead address. Default 8 s. */
  connectTimeoutMs?: number;
  auditLog?: AuditLog;
}

export function sshProber(opts: SshProberOptions): Prober {
  const connections = new Map<string, Promise<Connection | ConnectionError>>();
  const hosts = new Map<string, Promise<Probe<HostInfo>>>();
  let log: AuditLog | undefined = opts.auditLog;

  const connection = (t: ProbeTarget, approvedHostKey: Buffer | undefined) => {
    const key = JSON.stringify(t);
    let c = connections.get(key);
    if (!c || approvedHostKey) {
      c = connectAll([{ name: t.host, ...t }], { ...transportOptions(opts), approvedHostKey, connectTimeoutMs: opts.connectTimeoutMs ?? 8_000 }).then((m) => m.get(t.host)!);
      connections.set(key, c);
    }
    return c;
  };

  async function run<T>(t: ProbeTarget, approvedHostKey: Buffer | undefined, read: (conn: AuditedConnection) => Promise<T>): Promise<Probe<T>> {
    const conn = await connection(t, approvedHostKey);
    if (conn instanceof ConnectionError) return { ok: false, error: { message: conn.message, hint: conn.hint, failure: conn.failure, offeredHostKey: conn.offeredHostKey } };
    log ??= AuditLog.forNewRun();
    try {
      return { ok: true, value: await read(new AuditedConnection(conn, log)) };
    } catch (err) {
      return { ok: false, error: err instanceof HaforgeError ? { message: err.message, hint: err.hint } : { message: String((err as Error)?.message ?? err) } };
    }
  }

  return {
    host(t, o = {}) {
      const key = JSON.stringify(t);
      let p = hosts.get(key);
      if (!p || o.approvedHostKey) {
        p = run(t, o.approvedHostKey, async (conn) => {
          const system = request(systemFact, undefined);
          const addresses = request(addressesFact, undefined);
          const store = await gatherFacts(conn, [system, addresses]);
          const s = store.get(system);
          return { hostname: s.hostname, os: s.os.prettyName || s.os.id, kernel: s.kernel, uid: s.uid, addresses: store.get(addresses) };
        });
        hosts.set(key, p);
      }
      return p;
    },
    disk(t, device) {
      return run(t, undefined, async (conn) => {
        const q = request(blockDeviceFact, device);
        return (await gatherFacts(conn, [q])).get(q);
      });
    },
    async close() {
      const all = await Promise.all(connections.values());
      await Promise.all(all.map((c) => (c instanceof ConnectionError ? undefined : c.close().catch(() => undefined))));
    },
  };
}
