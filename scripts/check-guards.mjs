#!/usr/bin/env node
// Proves that the fast suite pins every rule that keeps users' data safe:
// removes one guard at a time from the source, runs the unit test file that
// pins it, and expects it to fail. A guard whose removal leaves the suite green is
// reported, as is a guard whose code moved (its text is no longer found).
//
//   node scripts/check-guards.mjs            # every guard
//   node scripts/check-guards.mjs mkfs       # those whose name contains "mkfs"
//
// It runs the unit files that pin guards (a part of test/unit: when they
// fail, test/unit fails), once as they are (they must pass), then, per
// guard, the one file named as pinning it, stopping at the first failure
// (--bail): a second or two a guard.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** name, file, the guard's code, what it becomes without the guard, the unit test file that pins it (test/unit/<it>.test.ts). */
const GUARDS = [
  ['create-md over a signature', 'src/operations/drbd.ts', 'if (foreign.length > 0) {', 'if (false) {', 'guards'],
  ['create-md with unknown metadata', 'src/operations/drbd.ts', "if (meta.state === 'unknown') return fail(", 'if (false) return fail(', 'guards'],
  ['create-md over existing metadata', 'src/operations/drbd.ts', "if (meta.state === 'present' || disk.signatures.some((s) => s.type === 'drbd')) return noop('DRBD metadata present');", '', 'guards'],
  ['mkfs over a signature', 'src/operations/filesystem.ts', 'if (dev.signatures.length > 0) {', 'if (false) {', 'guards'],
  ['mkfs over an unreadable device', 'src/operations/filesystem.ts', 'if (dev.unreadable) return fail(', 'if (false) return fail(', 'guards'],
  ['mkfs over a mounted filesystem', 'src/operations/filesystem.ts', 'return fail(`${a.device} is mounted as ${found.mountedAs}', 'return noop(`${a.device} is mounted as ${found.mountedAs}', 'guards'],
  ['mkfs over its own filesystem', 'src/operations/filesystem.ts', 'if (dev.signatures.some((s) => s.type === a.type)) return noop(', 'if (false) return noop(', 'guards'],
  ['partition a non-blank disk', 'src/operations/partition.ts', 'if (disk.signatures.length) {', 'if (false) {', 'guards'],
  ['--skip-initial-sync blank check', 'src/operations/drbd.ts', 'const notBlank = notBlankForSkip(a, ctx);', 'const notBlank = undefined;', 'guards'],
  ['--skip-initial-sync blank check on the peers', 'src/operations/drbd.ts', 'for (const peer of ctx.cluster.nodes.filter((n) => n.name !== ctx.node.name)) {', 'for (const peer of [] as NodeSpec[]) {', 'guards'],
  ['--skip-initial-sync reads the peers', 'src/operations/drbd.ts', "peerFacts: (a, peer) => (a.initial_sync === 'skip' ? [...blankFacts(diskOn(peer, a))] : []),", '', 'guards'],
  ['first promotion: this disk Inconsistent', 'src/operations/drbd.ts', "if (dev.disk !== 'Inconsistent') return fail(", 'if (false) return fail(', 'guards'],
  ['first promotion: the peer connected', 'src/operations/drbd.ts', "if (dev.connection !== 'Connected') {\n    return fail(\n      `${a.resource} is ${dev.connection}: the peer is not connected", "if (false) {\n    return fail(\n      `${a.resource} is ${dev.connection}: the peer is not connected", 'guards'],
  ['first promotion: the peer Inconsistent', 'src/operations/drbd.ts', "if (dev.peerDisk !== 'Inconsistent') {", 'if (false) {', 'guards'],
  ['forced promotion syntax of 8.3', 'src/drbd/commands.ts', "return family === '8.3' ? ['drbdadm', '--', '--overwrite-data-of-peer', 'primary', resource]", "return family === '8.9' ? ['drbdadm', '--', '--overwrite-data-of-peer', 'primary', resource]", 'guards'],
  ['clear-bitmap syntax per family', 'src/drbd/commands.ts', "return family === '8.3' || family === '8.4' ? ['drbdadm', '--', '--clear-bitmap'", "return family === '8.3' ? ['drbdadm', '--', '--clear-bitmap'", 'guards'],
  ['discard syntax of 8.3', 'src/drbd/commands.ts', "return family === '8.3' ? ['drbdadm', '--', '--discard-my-data', 'connect', resource]", "return family === '8.9' ? ['drbdadm', '--', '--discard-my-data', 'connect', resource]", 'guards'],
  ['SBD header over a signature', 'src/operations/sbd.ts', 'if (disk.signatures.length) {', 'if (false) {', 'sbd'],
  ["SBD header over another cluster's", 'src/operations/sbd.ts', 'if (foreign.length) {', 'if (false) {', 'sbd'],
  ['SBD header rewritten with other timeouts', 'src/operations/sbd.ts', 'if (header.watchdog !== a.watchdog_timeout || header.msgwait !== a.msgwait) {', 'if (false) {', 'sbd'],
  ['SBD header on a disk that cannot be read', 'src/operations/sbd.ts', 'if (header.error) return fail(', 'if (false) return fail(', 'sbd'],
  ['fence: another member keeps running', 'src/procedures/fence.ts', 'const other = report.nodes.find((n) => n.name !== target && n.reachable', 'const other = report.nodes.find((n) => n.reachable', 'fence'],
  ['fence: the data in sync right before', 'src/procedures/fence.ts', 'return now.primary === target && !drbdInSync(now) ?', 'return false ?', 'fence'],
  ['symlink over a directory or file', 'src/operations/symlink.ts', '    return fail(\n      `${a.path} is a ${current.type', "    return change('replace', [step]);\n    return fail(\n      `${a.path} is a ${current.type", 'guards'],
  ['relocate: data on the node and on the volume', 'src/operations/relocate.ts', "if (there.type !== 'absent') {", 'if (false) {', 'guards'],
  ['relocate: a link is followed only to a directory of its own', 'src/operations/relocate.ts', 'if (system || volume.startsWith(`${via}/`)) {', 'if (false) {', 'guards'],
  ['relocate: a link is followed one level, never a chain', 'src/operations/relocate.ts', "if (viaHere.type === 'link' && viaHere.target !== onVolume(a.volume, via)) {", 'if (false) {', 'guards'],
  ['relocate: an earlier copy set aside', 'src/operations/relocate.ts', "if (place.aside.type !== 'absent') {", 'if (false) {', 'guards'],
  ['relocate undo: data missing on the volume', 'src/operations/relocate.ts', "return there.type === 'absent'\n      ? fail(`${target} is missing on the volume", "return false\n      ? fail(`${target} is missing on the volume", 'guards'],
  ['engine: destructive steps guarded by a re-plan', 'src/engine/playbook-run.ts', '  if (!step.destructive) return step;', '  return step;', 'engine'],
  ['engine: facts read again before a destructive step', 'src/engine/playbook-run.ts', 'await Promise.all([gatherFacts(host.conn!, t.facts, host.facts), ...this.peerRereads(host, t)]);', '', 'engine'],
  ['executor: no destructive step without a guard', 'src/engine/execute.ts', 'if (step.destructive && !step.guard) throw', 'if (false) throw', 'engine'],
  ['executor: guards are judged', 'src/engine/execute.ts', 'if (step.guard && !run.failure) {', 'if (false) {', 'engine'],
  ['executor: after a failure only undo steps run', 'src/engine/execute.ts', 'if (run.failure && !(step.undoes && run.phaseStarts.has(step.undoes))) continue;', 'if (run.failure && !step.undoes) continue;', 'engine'],
  ['run lock: another run refuses this one', 'src/engine/playbook-run.ts', 'if (heldBy) refusals.push(', 'if (false) refusals.push(', 'engine'],
  ['run lock: taken before changing anything', 'src/engine/playbook-run.ts', 'if (!this.opts.check && this.changes()) await this.lockForChanges();', '', 'engine'],
  ['run lock: a new generation means facts read again', 'src/engine/playbook-run.ts', "if ([...taken].some(([name, o]) => typeof o === 'string' && o !== seen.get(name))) {", 'if (false) {', 'engine'],
  ['split brain: the repair re-checks its victim', 'src/procedures/split-brain/repair.ts', 'const why = stillTheVictim(now, inp.wish, { victim: V, current: victim.current, discarding });', 'const why = undefined as string | undefined;', 'split-brain-repair'],
  ['split brain: still in split brain', 'src/procedures/split-brain/victim.ts', 'if (!report.splitBrain) return `${report.name} is no longer in split brain', 'if (false) return `${report.name} is no longer in split brain', 'split-brain'],
  ['split brain: the same victim', 'src/procedures/split-brain/victim.ts', 'if (choice.victim !== planned.victim) return', 'if (false) return', 'split-brain'],
  ['split brain: victim not mounted', 'src/procedures/split-brain/victim.ts', 'if (side.mountedAt) return `${planned.victim} has', 'if (false) return `${planned.victim} has', 'split-brain'],
  ['split brain: victim Secondary before the discard', 'src/procedures/split-brain/victim.ts', "if (planned.discarding && side.role !== 'Secondary') return", 'if (false) return', 'split-brain'],
  ['split brain: victim data not moved on', 'src/procedures/split-brain/victim.ts', 'if (planned.current && side.current && generation(side.current) !== generation(planned.current)) {', 'if (false) {', 'split-brain'],
  ['split brain: refuses a mounted victim', 'src/procedures/split-brain/repair.ts', '  if (victim.mountedAt) {', '  if (false) {', 'split-brain'],
  ['split brain: refuses a Primary victim under Heartbeat', 'src/procedures/split-brain/repair.ts', "if (inp.managers[inp.victim]?.heartbeat && victim.role === 'Primary') {", 'if (false) {', 'split-brain'],
  ['split brain: waits until DRBD met the split brain', 'src/procedures/split-brain/repair.ts', "if (!report.sides.some((s) => s.connection === 'StandAlone')) {", 'if (false) {', 'split-brain'],
  ['fence-peer: a node with a poison pill waiting never resumes I/O', 'templates/drbd/haforge-fence-peer', '[ -n "$message" ] && fence_myself "$message"\n"$handler" "$@"', '"$handler" "$@"', 'drbd-fence-peer'],
  ['fence-peer: a pill that arrives during the handler', 'templates/drbd/haforge-fence-peer', 'message=$(pending_message)\n[ -n "$message" ] && fence_myself "$message"\nexit $rc', 'exit $rc', 'drbd-fence-peer'],
  ['fence-peer: DRBD runs it under SBD (8.4)', 'templates/drbd/global_common.conf.hbs', 'fence-peer "{{#if (lookup cluster.fencing "sbd")}}/usr/local/lib/haforge/drbd-fence-peer {{/if}}/usr/lib/drbd/crm-fence-peer.sh";', 'fence-peer "/usr/lib/drbd/crm-fence-peer.sh";', 'pacemaker'],
  ['fence-peer: DRBD runs it under SBD (9)', 'templates/drbd/global_common.conf.hbs', 'fence-peer "{{#if (lookup cluster.fencing "sbd")}}/usr/local/lib/haforge/drbd-fence-peer {{/if}}/usr/lib/drbd/crm-fence-peer.9.sh";', 'fence-peer "/usr/lib/drbd/crm-fence-peer.9.sh";', 'pacemaker'],
  ['unlock: a lock whose run may still be going stays', 'src/services/unlock.ts', 'const mayRun = opts.force ? undefined : ownerMayRun(heldBy);', 'const mayRun = undefined as string | undefined;', 'engine'],
  ['drill: the write probe writes only where the volume is mounted', 'src/procedures/write-probe.ts', 'mountpoint -q "$m" || exit ${PROBE_EXIT.notMounted}', '', 'drill'],
  ['drill: an acknowledged record missing on the survivor is lost', 'src/procedures/write-probe.ts', 'lost: acks.filter((a) => !onVolume.has(`${a.session} ${a.seq}`)),', 'lost: [],', 'drill'],
  ['drill: a hang only on a cluster that fences', 'src/procedures/drill.ts', 'const unfenced = ctx.needsFencing ? cannotFence(report) : undefined;', 'const unfenced = undefined as Refusal | undefined;', 'drill'],
  ['run lock: covers the nodes outside --limit', 'src/engine/playbook-run.ts', 'this.bystanders = inventory.clusters', 'this.bystanders = ([] as typeof inventory.clusters)', 'engine'],
  ['secret: read on the nodes outside --limit', 'src/operations/secret.ts', '  peerFacts: (a) => [fact(a)],\n', '', 'engine'],
  ['secret: none made while a node of the cluster is unread', 'src/operations/secret.ts', 'if (!kept && unread.length) {', 'if (false) {', 'engine'],
  ['write: the given mode set before the old one could apply', 'src/operations/common.ts', 'if [ -n "$mode" ]; then chmod "$mode" "$tmp"; elif [ -e "$dest" ]; then chmod --reference="$dest" "$tmp"; fi', 'if [ -e "$dest" ]; then chmod --reference="$dest" "$tmp"; fi\nif [ -n "$mode" ]; then chmod "$mode" "$tmp"; fi', 'engine'],
  ['inputs: system directories refused as mount points', 'src/inventory/checks.ts', 'const system = systemDirUnder(r.mount!);', 'const system = undefined as string | undefined;', 'bad-input'],
  ['inputs: system directories refused as relocated paths', 'src/inventory/checks.ts', 'const system = systemDirUnder(p.path);', 'const system = undefined as string | undefined;', 'bad-input'],
  ['inputs: an inventory value is never a template', 'src/schema/validate.ts', 'if (this.templated && isScalar(node)', 'if (isScalar(node)', 'bad-input'],
  ['inputs: each configuration format refuses what it cannot hold', 'src/render/formats.ts', "if (text === '' || forbidden.test(text)) {", 'if (false) {', 'bad-input'],
  ['inputs: package names after --', 'src/operations/package.ts', "'install', '--no-install-recommends', '--', ...pkgs]", "'install', '--no-install-recommends', ...pkgs]", 'bad-input'],
  ['inputs: only regular files are read', 'src/schema/load.ts', 'if (!st.isFile()) throw', 'if (false) throw', 'bad-input'],
  ['inputs: the size cap before reading', 'src/schema/load.ts', 'if (st.size > MAX_YAML_BYTES) throw', 'if (false) throw', 'bad-input'],
  ['template: confined to the playbook, haforge and the files the inventory names', 'src/playbook/templates.ts', 'if (!roots.some((root) => inside(file, root)) && !files.includes(file)) {', 'if (false) {', 'bad-input'],
  ['pacemaker: what an admin added survives a run', 'src/pacemaker/merge.ts', 'return SHARED_SECTIONS.has(name) ? { ...merged, children: [...merged.children, ...kept] } : merged;', 'return merged;', 'pacemaker'],
  ['pacemaker: a resource taken over is not kept twice', 'src/pacemaker/merge.ts', "isForeign(c) && !taken.has(c.attrs.id)", 'isForeign(c)', 'pacemaker'],
  ['pacemaker: resources of others in another shape are refused, not re-created', 'src/operations/cib.ts', "if ('refusal' in adoption) {", 'if (false) {', 'pacemaker'],
  ['pacemaker: resources taken over keep their live ids', 'src/operations/cib.ts', 'const desired = withAdoptedIds(generated, adoption.ids);', 'const desired = generated;', 'pacemaker'],
  ['pacemaker: a resource of others that runs the same is found whatever its agent', 'src/pacemaker/adoption.ts', 'const holders = foreign.filter((t) => primitivesOf(t).some((p) => runs(p).some((r) => mine.has(r))));', 'const holders = foreign.filter((t) => primitivesOf(t).some((p) => runs(p).some((r) => mine.has(r)) && primitivesOf(top).some((m) => samePrimitive(m, p))));', 'pacemaker'],
  ['pacemaker: the live configuration saved before a replace', 'src/pacemaker/backups.ts', ' || { rm -f "$f.tmp"; echo "could not save the live configuration to $f" >&2; exit 1; }', '', 'pacemaker'],
  ["corosync: a running member's nodeid is never changed", 'src/render/handlebars.ts', 'if (have !== undefined && have !== want) {', 'if (false) {', 'pacemaker'],
  ['pacemaker: removing a resource is destructive', 'src/operations/cib.ts', 'destructive: removed.length + restarted.length > 0,', 'destructive: restarted.length > 0,', 'pacemaker'],
  ['pacemaker: restarting a resource is destructive', 'src/operations/cib.ts', 'destructive: removed.length + restarted.length > 0,', 'destructive: removed.length > 0,', 'pacemaker'],
  ['pacemaker: new parameters of a kept resource are a restart', 'src/pacemaker/managed.ts', 'return changed.length ? [`${id} (parameters ${changed.join(\', \')})`] : [];', 'return [];', 'pacemaker'],
  ['heartbeat handover: the holder stops only once no other node runs Heartbeat', 'src/operations/heartbeat.ts', 'steps.push(othersLeft(ctx.node.name, a.timeout ?? 120), {', 'steps.push({', 'heartbeat'],
  ['heartbeat handover: waits while another node runs Heartbeat', 'src/operations/heartbeat.ts', "const others = (stdout: string) => parseHeartbeatView(stdout).members.filter((m) => m.name !== self && m.status !== 'dead' && m.status !== 'ping');", 'const others = (_stdout: string) => [] as { name: string }[];', 'heartbeat'],
  ['heartbeat handover: releasing the services is destructive', 'src/operations/heartbeat.ts', "        argv: ['systemctl', 'stop', 'heartbeat.service'],\n        destructive: true,", "        argv: ['systemctl', 'stop', 'heartbeat.service'],", 'heartbeat'],
  ["template: a service's template confined to the inventory's directory", 'src/inventory/services.ts', "if (!real.startsWith(root.endsWith(path.sep) ? root : root + path.sep)) {", 'if (false) {', 'bad-input'],
  ['service: off at boot includes the sockets that start it on demand', 'src/operations/service.ts', '    if (a.enabled === false) {\n      for (const t of s.triggers', '    if (false) {\n      for (const t of s.triggers', 'guards'],
  ['heartbeat: never started where Pacemaker runs', 'src/operations/heartbeat.ts', 'if (!ctx.fact(MANAGERS).pacemaker) return noop(', 'if (true) return noop(', 'heartbeat'],
  ['init: only the host key the user approved is recorded', 'src/transport/host-keys.ts', 'if (req.approvedKey && !req.approvedKey.equals(req.key)) {', 'if (false) {', 'transport-known-hosts'],
];

const testFile = (name) => `test/unit/${name}.test.ts`;
const PINNING_FILES = [...new Set(GUARDS.map((g) => testFile(g[4])))];

const only = process.argv[2];
const failures = [];
const suite = (files = PINNING_FILES) => execFileSync('npx', ['vitest', 'run', ...files, '--reporter=dot', '--bail=1'], { cwd: root, stdio: 'ignore' });
// A suite that fails with every guard in place would call every guard pinned.
try {
  suite();
} catch {
  process.stderr.write(`the pinning files fail with every guard in place: npx vitest run ${PINNING_FILES.join(' ')}\n`);
  process.exit(1);
}
for (const [name, file, guard, without, pinnedBy] of GUARDS.filter(([n]) => !only || n.includes(only))) {
  const full = path.join(root, file);
  const original = readFileSync(full, 'utf8');
  const count = original.split(guard).length - 1;
  if (count !== 1) {
    failures.push(`${name}: its code is ${count ? 'in ' + count + ' places' : 'no longer'} in ${file}: update scripts/check-guards.mjs`);
    continue;
  }
  writeFileSync(full, original.replace(guard, without));
  let pinned = false;
  try {
    suite([testFile(pinnedBy)]);
  } catch {
    pinned = true;
  } finally {
    writeFileSync(full, original);
  }
  process.stdout.write(`${pinned ? 'pinned  ' : 'NOT PINNED'} ${name}\n`);
  if (!pinned) failures.push(`${name}: removed from ${file}, and ${testFile(pinnedBy)} stayed green (pin it there, or name the file that does)`);
}
if (failures.length) {
  process.stderr.write(`\n${failures.join('\n')}\n`);
  process.exit(1);
}
