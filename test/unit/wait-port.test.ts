// The probe bootstrap's last check runs on every node (wait_port): run here on
// this machine's own network, it must say why a port does not answer: the
// address is not here, nothing listens, the service listens on 127.0.0.1 only.
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROBE_SCRIPT } from '../../src/operations/wait-port.js';

const probe = (host: string, port: number) => spawnSync('bash', ['-c', PROBE_SCRIPT, 'haforge-probe', host, String(port), ''], { encoding: 'utf8' });
/** An IPv4 address of this machine that is not loopback (the VIP stand-in), if it has one. */
const external = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
const noTools = spawnSync('sh', ['-c', 'command -v ss && command -v ip']).status !== 0;
if (noTools) console.warn('!! wait_port probe tests skipped: ss and ip (iproute2) are needed');

describe.skipIf(noTools)('wait_port: why a port does not answer, as the node sees it', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((s) => s.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => server.close());

  it('answers: exit 0', () => {
    expect(probe('127.0.0.1', port)).toMatchObject({ status: 0, stdout: 'answers\n' });
  });

  it('nothing listens on the port here', () => {
    const r = probe('127.0.0.1', 1);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('127.0.0.1:1 does not answer\nnothing listens on port 1 here\n');
  });

  it('the address is not on this node (it holds no VIP)', () => {
    const r = probe('192.0.2.123', port);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(`192.0.2.123:${port} does not answer\n192.0.2.123 is not an address of this node\n`);
  });

  it.skipIf(!external)('the service listens on 127.0.0.1 only, not on the address asked for (Debian MariaDB behind a VIP)', () => {
    const r = probe(external!, port);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`port ${port} is listened on only at 127.0.0.1:${port}, not on ${external}: the service must listen on ${external} or on all addresses (0.0.0.0)`);
  });
});
