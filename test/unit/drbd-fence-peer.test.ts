// haforge's DRBD fence-peer handler (templates/drbd/haforge-fence-peer), run
// as shipped on a local node (its own namespaces, `uname -n` its name):
// when a fencing message waits in the node's own SBD slot it resets the node
// and never returns (I/O stays frozen); otherwise it runs LINBIT's handler and
// passes its exit code on.
// Stand-ins, because the real parts cannot run here: `sbd` prints the slot
// list real sbd 1.5.2 printed (test/fixtures/sbd/host-slots-reset.txt), the
// handler it wraps records that it ran (crm-fence-peer.sh needs a live CIB),
// and the sysrq trigger is a file (this machine has none, and a real one
// would reset it): the script's `trigger=` line is the one line changed.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../../src/transport/local.js';

const REPO = path.join(__dirname, '../..');
const SCRIPT = readFileSync(path.join(REPO, 'templates/drbd/haforge-fence-peer'), 'utf8');
const list = readFileSync(path.join(REPO, 'test/fixtures/sbd/host-slots-reset.txt'), 'utf8').split('== list\n')[1]!;

describe('the fence-peer handler under SBD', () => {
  const nodes = new LocalCluster();
  afterAll(() => nodes.remove());

  /** In the capture node2's slot holds `reset`, node1's is clear. `arrives` replaces the list while the handler runs. */
  const run = async (name: string, opts: { sbdConf?: boolean; handlerExit?: number; listed?: string; arrives?: string } = {}) => {
    const node = nodes.node(name);
    expect(SCRIPT).toMatch(/^trigger=\/proc\/sysrq-trigger$/m);
    node.addTool('haforge-drbd-fence-peer', SCRIPT.replace(/^trigger=.*$/m, 'trigger=/tmp/sysrq-trigger'));
    node.addTool('sbd', '#!/bin/sh\n[ "$1 $3" = "-d list" ] || exit 1\necho "$2" >> /tmp/sbd-devices\ncat /tmp/sbd-list\n');
    const arrives = opts.arrives === undefined ? '' : `printf '%s' '${opts.arrives}' > /tmp/sbd-list\n`;
    node.addTool('crm-fence-peer', `#!/bin/sh\necho "ran $DRBD_RESOURCE $*" > /tmp/handler-ran\n${arrives}exit ${opts.handlerExit ?? 4}\n`);
    // The loop that keeps a fenced node from returning sleeps a little at a time here, so nothing outlives the test.
    node.addTool('sleep', '#!/bin/sh\nexec /bin/sleep 0.1\n');
    const conf = opts.sbdConf === false ? 'rm -f /etc/default/sbd' : 'mkdir -p /etc/default && printf \'SBD_DEVICE="/dev/disk/by-id/a;/dev/disk/by-id/b"\\nSBD_PACEMAKER=yes\\n\' > /etc/default/sbd';
    await node.exec(['sh', '-c', `rm -f /tmp/sysrq-trigger /tmp/handler-ran /tmp/sbd-devices; printf '%s' '${opts.listed ?? list}' > /tmp/sbd-list; ${conf}`]);
    const ran = await node.exec(['env', 'DRBD_RESOURCE=r0', 'haforge-drbd-fence-peer', 'crm-fence-peer', '--timeout=90'], { timeoutMs: 1500 });
    const read = async (f: string) => (await node.exec(['sh', '-c', `cat ${f} 2>/dev/null; true`])).stdout;
    return { ran, trigger: await read('/tmp/sysrq-trigger'), handler: await read('/tmp/handler-ran'), devices: await read('/tmp/sbd-devices') };
  };

  it('a node with a reset message waiting resets at once, never runs the handler and never returns', async () => {
    const r = await run('node2');
    expect(r.trigger).toBe('b\n');
    expect(r.handler).toBe('');
    expect(r.ran.timedOut).toBe(true);
  });

  it('off and crashdump messages take the same way out as sbd would (o, c)', async () => {
    expect((await run('node2', { listed: '0\tnode1\tclear\t\n1\tnode2\toff\tnode1\n' })).trigger).toBe('o\n');
    expect((await run('node2', { listed: '0\tnode1\tclear\t\n1\tnode2\tcrashdump\tnode1\n' })).trigger).toBe('c\n');
  });

  it('a node whose slot is clear runs the handler with its arguments and returns its exit code; every SBD device is read', async () => {
    for (const code of [4, 7, 1]) {
      const r = await run('node1', { handlerExit: code });
      expect(r.ran.exitCode).toBe(code);
      expect(r.handler).toBe('ran r0 --timeout=90\n');
      expect(r.trigger).toBe('');
    }
    expect((await run('node1')).devices).toBe('/dev/disk/by-id/a\n/dev/disk/by-id/b\n/dev/disk/by-id/a\n/dev/disk/by-id/b\n');
  });

  it('a message that arrives while the handler waits for the cluster: reset, and the handler\'s answer never reaches DRBD', async () => {
    const r = await run('node1', { arrives: '0\tnode1\treset\tnode2\n1\tnode2\tclear\t\n' });
    expect(r.handler).toBe('ran r0 --timeout=90\n');
    expect(r.trigger).toBe('b\n');
    expect(r.ran.timedOut).toBe(true);
  });

  it('a test message, or another node\'s reset, is not a reason to reset', async () => {
    const r = await run('node1', { listed: '0\tnode1\ttest\tnode2\n1\tnode2\treset\tnode1\n' });
    expect(r.ran.exitCode).toBe(4);
    expect(r.trigger).toBe('');
  });

  it('without SBD configured on the node it is LINBIT\'s handler alone', async () => {
    const r = await run('node2', { sbdConf: false });
    expect(r.ran.exitCode).toBe(4);
    expect(r.trigger).toBe('');
  });
});
