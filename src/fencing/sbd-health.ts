// Whether SBD can fence a node, as the node itself has it: the sbd daemon
// running, the watchdog armed (sbd holds it open and feeds it), and the
// message waiting in the node's own slot on each SBD disk. A node whose sbd
// is not running ignores its poison pill, yet the pill counts as delivered
// after msgwait: the survivor takes over while the node still runs.
import type { Fact } from '../engine/fact.js';
import { parseKeyValues, sections } from '../facts/parse.js';
import { quoteWord } from '../util/shell.js';
import { parseSbdList } from './sbd.js';

export interface SbdHealthArgs {
  devices: string[];
  watchdog: string;
}

export interface SbdHealth {
  /** `systemctl is-active sbd`: active, inactive, failed, activating, ... */
  sbd: string;
  watchdog: {
    /** The device exists on the node. */
    present: boolean;
    /** The driver's name ("i6300ESB timer", "Software Watchdog"). */
    identity?: string;
    /** "active" while someone (sbd) holds it open and it counts down. */
    state?: string;
    /** Seconds it waits to be fed. */
    timeout?: number;
  };
  /** Per SBD disk: the message in this node's slot (clear, reset, off, test, ...) and who sent it; undefined when the disk could not be read. */
  slots: { device: string; message?: string; from?: string; error?: string }[];
}

/** One command: sbd's state, the watchdog's sysfs attributes, each disk's slot list. */
export const sbdHealthFact: Fact<SbdHealth, SbdHealthArgs> = {
  id: 'sbd-health',
  command: ({ devices, watchdog }) => [
    'sh',
    '-c',
    [
      'PATH="$PATH:/usr/sbin:/sbin"',
      "echo '== sbd'; systemctl is-active sbd 2>&1",
      // /dev/watchdog is watchdog0's legacy name; /dev/watchdogN is watchdogN.
      `echo '== watchdog'; w=${quoteWord(watchdog)}; if [ -e "$w" ]; then n=$(basename "$(readlink -f "$w")"); [ "$n" = watchdog ] && n=watchdog0; for f in identity state timeout; do [ -r "/sys/class/watchdog/$n/$f" ] && echo "$f=$(cat "/sys/class/watchdog/$n/$f")"; done; echo present=yes; else echo present=no; fi`,
      // sbd names a node's slot after `uname -n`.
      "echo '== me'; uname -n",
      ...devices.map((d, i) => `echo '== slots${i}'; d=${quoteWord(d)}; echo "device=$d"; sbd -d "$d" list 2>&1; echo "rc=$?"`),
    ].join('\n'),
  ],
  parse: (stdout) => parseSbdHealth(stdout),
};

export function parseSbdHealth(stdout: string): SbdHealth {
  const s = sections(stdout);
  const w = parseKeyValues(s.watchdog ?? '');
  const me = (s.me ?? '').trim();
  const slots = Object.keys(s)
    .filter((k) => /^slots\d+$/.test(k))
    .map((k) => {
      const [first = '', ...rest] = s[k]!.split('\n');
      const device = first.replace(/^device=/, '');
      const rc = /^rc=(\d+)$/m.exec(rest.join('\n'))?.[1];
      const said = rest.filter((l) => !/^rc=\d+$/.test(l) && l.trim()).join('\n');
      // sbd's own words, e.g. "== disk /dev/... unreadable!" (its marker dropped).
      if (rc !== '0') return { device, error: said.split('\n')[0]?.replace(/^== /, '') || `sbd list exited ${rc ?? '?'}` };
      const mine = parseSbdList(rest.join('\n')).find((slot) => slot.node === me);
      return mine ? { device, message: mine.message, ...(mine.from ? { from: mine.from } : {}) } : { device, error: `no slot for ${me}` };
    });
  return {
    sbd: (s.sbd ?? '').trim().split('\n')[0] || 'unknown',
    watchdog: {
      present: w.present === 'yes',
      ...(w.identity ? { identity: w.identity } : {}),
      ...(w.state ? { state: w.state } : {}),
      ...(w.timeout ? { timeout: Number(w.timeout) } : {}),
    },
    slots,
  };
}
