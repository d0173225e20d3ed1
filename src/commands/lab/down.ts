import { Flags } from '@oclif/core';
import { UserError } from '../../errors.js';
import { BaseCommand, labNameFlag } from '../../ui/base-command.js';
import { labDown } from '../../services/lab.js';

export default class LabDown extends BaseCommand {
  static override description = "Stop every VM of the lab and remove its overlays, disks, keys, sockets and state; then check nothing is left.";

  static override examples = ['<%= config.bin %> lab down', '<%= config.bin %> lab down --name demo'];

  static override flags = {
    name: labNameFlag,
    json: Flags.boolean({ description: 'machine-readable output', default: false }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(LabDown);
    const r = await labDown(flags.name);
    if (flags.json) this.log(JSON.stringify(r, null, 2));
    else if (!r.existed) this.log(`no lab named "${r.name}": nothing to do`);
    else this.log(`lab "${r.name}" is down: ${r.killed.length} VM(s) stopped, state removed`);
    const l = r.leftovers;
    if (l.processes.length > 0 || l.listeningPorts.length > 0 || l.stateDir) {
      throw new UserError(`lab "${r.name}" left something behind: ${JSON.stringify(l)}`, { hint: 'run `haforge lab down` again' });
    }
  }
}
