import { Args } from '@oclif/core';
import { loadInventory } from '../inventory/load.js';
import { nodeFacts } from '../services/facts.js';
import { acceptNewFlag, BaseCommand, inventoryFlag, jsonFlag } from '../ui/base-command.js';

export default class Facts extends BaseCommand {
  static override description = 'Show what haforge reads from a node (one remote command).';
  static override examples = ['<%= config.bin %> facts -i inventory.yaml node1', '<%= config.bin %> facts -i inventory.yaml node1 --json'];
  static override args = { node: Args.string({ required: true, description: 'Node name from the inventory.' }) };
  static override flags = { inventory: inventoryFlag, json: jsonFlag, 'accept-new-host-keys': acceptNewFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Facts);
    const facts = await nodeFacts(await loadInventory(flags.inventory), args.node, { acceptNewHostKeys: flags['accept-new-host-keys'], interactive: !flags.json });
    if (flags.json) return this.printJson(facts);
    const s = facts.system;
    this.log(`node:            ${facts.node}`);
    this.log(`uname -n:        ${s.hostname}${s.hostname === facts.node ? '' : '   (differs from the inventory name!)'}`);
    this.log(`os:              ${s.os.prettyName || s.os.id} (${s.arch})`);
    this.log(`kernel:          ${s.kernel}`);
    this.log(`package manager: ${s.packageManager}`);
    this.log(`init:            ${s.init}`);
    this.log(`cpus / memory:   ${s.cpus ?? '?'} / ${s.memTotalKiB ? Math.round(s.memTotalKiB / 1024) + ' MiB' : '?'}`);
    this.log(`remote uid:      ${s.uid}`);
  }
}
