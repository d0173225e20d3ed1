// Packages present or absent, with the host's own package manager.
import { request } from '../engine/fact.js';
import type { Operation } from '../engine/operation.js';
import { change, fail, noop, type Step } from '../engine/plan.js';
import { packagesFact } from '../facts/packages.js';
import type { PackageManager } from '../facts/system.js';
import { packageName } from '../schema/values.js';

export interface PackageArgs {
  name: string | string[];
  state?: 'present' | 'absent';
  update_cache?: boolean;
}

const names = (a: PackageArgs) => (Array.isArray(a.name) ? a.name : [a.name]);

function commands(pm: PackageManager, verb: 'install' | 'remove', pkgs: string[], updateCache: boolean): Step[] | undefined {
  const list = pkgs.join(' ');
  switch (pm) {
    case 'apt': {
      const apt = ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', '-y', '-q', '-o', 'Dpkg::Options::=--force-confold'];
      const steps: Step[] = [];
      if (updateCache && verb === 'install') steps.push({ description: 'apt-get update', argv: ['apt-get', '-q', 'update'] });
      steps.push({
        description: `apt-get ${verb} ${list}`,
        // `--`: whatever a name looks like, it is never taken for an option.
        argv: verb === 'install' ? [...apt, 'install', '--no-install-recommends', '--', ...pkgs] : [...apt, 'remove', '--', ...pkgs],
      });
      return steps;
    }
    case 'dnf':
    case 'yum':
      return [{ description: `${pm} ${verb} ${list}`, argv: [pm, '-y', verb, '--', ...pkgs] }];
    case 'zypper':
      return [{ description: `zypper ${verb} ${list}`, argv: ['zypper', '--non-interactive', verb, '--', ...pkgs] }];
    default:
      return undefined;
  }
}

export const packageOperation: Operation<PackageArgs> = {
  name: 'package',
  summary: 'Packages installed (or removed) with apt, dnf/yum or zypper.',
  idempotent: true,
  predictable: true,
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: {
        anyOf: [packageName, { type: 'array', items: packageName, minItems: 1 }],
        description: 'A package name or a list of them.',
      },
      state: { type: 'string', enum: ['present', 'absent'], description: 'present (default) or absent.' },
      update_cache: { type: 'boolean', description: 'Refresh the package lists before installing (apt).' },
    },
  },
  label: (a) => `package ${names(a).join(' ')}`,
  facts: (a) => [request(packagesFact, names(a))],
  plan(a, ctx) {
    const installed = ctx.fact(request(packagesFact, names(a)));
    const wantPresent = (a.state ?? 'present') === 'present';
    const todo = names(a).filter((n) => (n in installed) !== wantPresent);
    if (todo.length === 0) return noop(wantPresent ? 'installed' : 'not installed');
    const steps = commands(ctx.system.packageManager, wantPresent ? 'install' : 'remove', todo, a.update_cache ?? false);
    if (!steps) return fail(`no supported package manager on ${ctx.node.name}`, 'haforge knows apt-get, dnf, yum and zypper');
    return change(`${wantPresent ? 'missing' : 'installed'}: ${todo.join(' ')}`, steps);
  },
};
