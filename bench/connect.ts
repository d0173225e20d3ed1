// ssh2 connect + host key check + auth time, measured in-process with
// haforge's own transport (src/transport/ssh.ts), apart from Node/oclif
// start-up: one host alone, then every node at once as `apply` does.
import { connect, connectAll, type SshTarget } from '../src/transport/ssh.js';
import type { TestNode } from '../test/support/nodes.js';

export interface ConnectTiming {
  /** One host alone, median of a few connects (ms). */
  singleMedianMs: number;
  /** All nodes at once through connectAll, as apply does: start to last ready (ms). */
  parallelTotalMs: number;
  /** All nodes at once, each host's own connect time (ms). */
  parallelPerHostMedianMs: number;
  parallelPerHostMaxMs: number;
}

const target = (n: TestNode): SshTarget => ({ name: n.name, host: n.address, port: n.port, user: n.user, identityFile: n.identityFile, knownHostsFile: n.knownHostsFile });

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export async function measureConnect(nodes: TestNode[]): Promise<ConnectTiming> {
  const single: number[] = [];
  // The first connect also pays for loading ssh2's code paths: warm up once.
  await (await connect(target(nodes[0]!), { sshConfigFile: false })).close();
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const c = await connect(target(nodes[i % nodes.length]!), { sshConfigFile: false });
    single.push(performance.now() - t0);
    await c.close();
  }

  // Each host's own time inside one parallel connect: time per-host promises.
  const t0 = performance.now();
  const perHost: number[] = [];
  const all = await Promise.all(
    nodes.map(async (n) => {
      const t = performance.now();
      const conns = await connectAll([target(n)], { sshConfigFile: false });
      perHost.push(performance.now() - t);
      return conns.get(n.name)!;
    }),
  );
  const parallelTotalMs = performance.now() - t0;
  const failed = all.filter((c) => c instanceof Error);
  await Promise.all(all.map((c) => (c instanceof Error ? undefined : c.close())));
  if (failed.length) throw new Error(`connect failed: ${failed.map((e) => (e as Error).message).join('; ')}`);
  return {
    singleMedianMs: median(single),
    parallelTotalMs,
    parallelPerHostMedianMs: median(perHost),
    parallelPerHostMaxMs: Math.max(...perHost),
  };
}
