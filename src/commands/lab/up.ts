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
      bootTimeoutSec: flags['boot-timeout'],
      rebuildImage: flags['rebuild-image'],
      report: this.report,
    });
    this.log(flags.json ? JSON.stringify(status, null, 2) : renderStatus(status));
  }
}
