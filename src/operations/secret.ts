// A cluster secret (Heartbeat authkeys, Corosync authkey): the same content
// on every node of the play. An existing good secret is kept (the primary's
// first, then the other nodes' in inventory order) so a running cluster keeps
// talking; where none exists one is made from the CSPRNG, once per run.
// The content is never shown, diffed or logged. A secret that lives inside a
// configuration file (DRBD's shared-secret) is kept the same way; the file is
// its template's rendering with that secret.
import { request } from '../engine/fact.js';
import type { Operation } from '../engine/operation.js';
import { change, fail, noop } from '../engine/plan.js';
import { secretFileFact, type SecretFileState } from '../facts/secret.js';
import { SECRET_KINDS, secretKind, type SecretKindName } from '../secrets/kinds.js';
import { absolutePath, groupSchema, modeSchema, normalizeModeArg, ownerSchema, secretBackups, sameContentPlan, secretBackupSteps, writeFileStep } from './common.js';

export interface SecretFileArgs {
  path: string;
  kind: SecretKindName;
  method?: 'sha1' | 'md5';
  mode?: string | number;
  owner?: string;
  group?: string;
  /** For a secret inside a configuration file: the template, which sees the secret as `secret`. */
  template?: string;
  /** A command that checks the new content before it is installed, %s for the file. */
  validate?: string;
}

const fact = (a: SecretFileArgs) => request(secretFileFact, { path: a.path });

export const secretFileOperation: Operation<SecretFileArgs> = {
  name: 'secret_file',
  summary: 'A cluster secret, identical on every node of the play: an existing good one is kept, else one is generated; never shown or logged.',
  idempotent: true,
  predictable: true,
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['path', 'kind'],
    properties: {
      path: absolutePath,
      kind: { type: 'string', enum: SECRET_KINDS, description: 'What secret it is: how it is made and checked.' },
      method: { type: 'string', enum: ['sha1', 'md5'], description: 'heartbeat-authkeys only: the authentication method (default sha1; crc is never written).' },
      mode: modeSchema,
      owner: ownerSchema,
      group: groupSchema,
      template: { type: 'string', minLength: 1, description: 'drbd-shared-secret: the configuration file\'s template; it sees the secret as {{secret}}.' },
      validate: { type: 'string', pattern: '%s', description: 'a command that checks the new content before it is installed, with %s for the file' },
    },
  },
  label: (a) => `secret ${a.path}`,
  facts: (a) => [fact(a), secretBackups(a.path)],
  // Read on every node of the cluster, those outside --limit included: the secret they hold is the cluster's.
  peerFacts: (a) => [fact(a)],
  plan(a, ctx) {
    const kind = secretKind(a.kind, a.method);
    if (!!kind.extract !== (a.template !== undefined)) {
      return fail(kind.extract ? `${a.kind} is written inside a configuration file: give its template` : `${a.kind} is a file of its own: it takes no template`, 'see the drbd playbook for a secret inside a configuration file');
    }
    const mine = ctx.fact(fact(a));
    if (mine.type === 'other') return fail(`${a.path} is ${mine.what}, not a ${kind.title} file`, 'move it away by hand if a key belongs there');
    // One choice for every node: the primary's good secret, else the first good one in inventory order.
    const all = [{ node: ctx.node.name, value: mine }, ...ctx.peerFacts(fact(a))];
    const order = (n: string) => (n === ctx.cluster.primary ? -1 : ctx.cluster.nodes.findIndex((x) => x.name === n));
    const kept = all
      .sort((x, y) => order(x.node) - order(y.node))
      .find((x): x is { node: string; value: Extract<SecretFileState, { type: 'file' }> } => x.value.type === 'file' && !kind.problem(x.value.content));
    // A new secret only when every node of the cluster was read: an unread one may hold the cluster's.
    const unread = ctx.cluster.nodes.map((n) => n.name).filter((n) => !all.some((x) => x.node === n));
    if (!kept && unread.length) {
      return fail(`no node read holds a good ${kind.title}, and ${unread.join(', ')} could not be read: a new one could split the cluster`, `make ${unread.join(', ')} reachable and run again (it is read even when outside --limit)`);
    }
    const made = () => ctx.shared(`secret:${ctx.cluster.name}:${a.path}:${a.kind}`, () => kind.generate());
    const token = kind.extract && (kept ? kind.extract(kept.value.content)! : made().toString());
    const secret = token !== undefined ? Buffer.from(ctx.renderTemplate(a.template!, { secret: token })) : (kept?.value.content ?? made());
    const mode = normalizeModeArg(a.mode) ?? kind.defaultMode;
    const owner = a.owner ?? 'root';
    const group = a.group ?? 'root';

    const why =
      mine.type === 'absent'
        ? kept ? `create (the cluster's secret, as on ${kept.node})` : 'create (new random secret)'
        : kind.problem(mine.content)
          ? `replace: ${kind.problem(mine.content)}${kept ? ` (the cluster's secret, as on ${kept.node})` : ' (new random secret)'}`
          : !mine.content.equals(secret)
            ? token === undefined || kind.extract!(mine.content) !== token
              ? `replace: differs from the cluster's secret on ${kept?.node}`
              : 'replace: the settings around the secret changed (not shown: the file holds it)'
            : undefined;
    const pruned = secretBackupSteps(a.path, ctx.fact(secretBackups(a.path)));
    if (why) {
      return change(why, [writeFileStep({ path: a.path, content: secret, mode, owner, group, backup: false, validate: a.validate, secret: true, description: `write ${a.path} (secret)` }), ...pruned]);
    }
    return sameContentPlan(a.path, mine as Extract<SecretFileState, { type: 'file' }>, { mode, owner, group }, pruned, `the cluster's ${kind.title}, mode ${mode}`);
  },
};
