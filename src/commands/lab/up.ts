import { Flags } from '@oclif/core';
import { BaseCommand, labNameFlag } from '../../ui/base-command.js';
import { renderStatus } from '../../lab/render.js';
import { labUp } from '../../services/lab.js';

export default class LabUp extends BaseCommand {
  static override description = 'Boot the lab VMs (building the image on first use) and write an inventory for them.';

  static override examples = [
    '<%= config.bin %> lab up',
    '<%= config.bin %> lab up --nodes 3 --stack heartbeat',
    '<%= config.bin %> lab up --name demo --disk-size 512',
    '<%= config.bin %> lab up --name fqdn --domain ha.example.com',
    '<%= config.bin %> lab up --name d9 --drbd 9 --drbd-source ~/src/drbd9-bundles',
  ];

  static override flags = {
    name: labNameFlag,
    nodes: Flags.integer({ description: 'how many VMs', default: 2, min: 1, max: 4 }),
    // Real services (a database during its package install) need it: 512 MiB ran corosync out of memory.
    memory: Flags.integer({ description: 'MiB of RAM per VM', default: 1024, min: 256 }),
    // Two: a VM's cluster work (an agent starting, the monitors it triggers) runs
    // on both host cores while the peer idles; TCG gives each vCPU a host thread.
    cpus: Flags.integer({ description: 'virtual CPUs per VM', default: 2, min: 1, max: 8 }),
    'disk-size': Flags.integer({ description: 'MiB of the blank data disk (/dev/vdb) per VM', default: 256, min: 16 }),
    accel: Flags.string({ description: 'tcg (software emulation) or kvm', options: ['tcg', 'kvm'], default: 'tcg' }),
    stack: Flags.string({ description: 'cluster manager named in the inventory', options: ['pacemaker', 'heartbeat'], default: 'pacemaker' }),
    // Clusters whose node names are FQDNs (uname -n prints node1.ha.example.com).
    domain: Flags.string({ description: 'DNS domain of the VMs\' host names: node1.<domain>, the names in the inventory too' }),
    // Debian's kernels carry DRBD 8.4 only: a DRBD 9 image builds LINBIT's module (a few minutes, cached).
    drbd: Flags.string({ description: 'DRBD in the VMs\' kernel: 8.4 (the kernel\'s own; a new lab\'s default) or 9 (LINBIT\'s, built into the image from --drbd-source); an existing lab keeps its own', options: ['8.4', '9'] }),
    'drbd-source': Flags.string({ description: 'with --drbd 9: a directory with drbd-<version>.bundle and drbd-headers-<commit>.bundle (default: $HAFORGE_DRBD9_SOURCE, else ../shared/vendor/drbd9 beside haforge)' }),
    'boot-timeout': Flags.integer({ description: 'seconds to wait for each VM to accept SSH', default: 240, min: 10 }),
    'rebuild-image': Flags.boolean({ description: 'build the image again even if it is cached', default: false }),
    json: Flags.boolean({ description: 'print the lab status as JSON', default: false }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(LabUp);
    const status = await labUp({
      name: flags.name,
      nodes: flags.nodes,
      memoryMiB: flags.memory,
      cpus: flags.cpus,
      diskSizeMiB: flags['disk-size'],
      accel: flags.accel as 'tcg' | 'kvm',
      stack: flags.stack as 'pacemaker' | 'heartbeat',
      domain: flags.domain,
      drbd: flags.drbd as '8.4' | '9' | undefined,
      drbdSource: flags['drbd-source'],
      bootTimeoutSec: flags['boot-timeout'],
      rebuildImage: flags['rebuild-image'],
      report: this.report,
    });
    this.log(flags.json ? JSON.stringify(status, null, 2) : renderStatus(status));
  }
}
