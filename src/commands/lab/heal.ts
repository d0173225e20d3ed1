import { BaseCommand, labNameFlag } from '../../ui/base-command.js';
import { labHeal } from '../../services/lab.js';

export default class LabHeal extends BaseCommand {
  static override description = 'End every network partition: all private links of all running nodes up again.';

  static override examples = ['<%= config.bin %> lab heal'];

  static override flags = { name: labNameFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(LabHeal);
    const r = await labHeal(flags.name);
    this.log(r.healed.length > 0 ? `links up again on ${r.healed.join(', ')}` : 'no link was cut; all links are up');
  }
}
