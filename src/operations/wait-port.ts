// Waits until a TCP port answers, seen from the node: the final check of a
// bootstrap (the service answers on the virtual IP). Already answering: ok,
// no wait; so a re-run reports no change.
import { request } from '../engine/fact.js';
import type { Operation } from '../engine/operation.js';
import { noop, type TaskPlan } from '../engine/plan.js';
import { commandFact } from '../facts/command.js';
import { unitName } from '../schema/values.js';

export interface WaitPortArgs {
  host: string;
  port: number;
  /** Seconds. */
  timeout?: number;
  /** The service behind the port: when it does not answer, its state (and a failed start's last log lines) say why. */
  unit?: string;
}

// $1 host, $2 port, $3 unit (may be empty). bash's /dev/tcp needs no nc or
// curl on the node; timeout keeps a blackholed address from hanging the
// probe. When nothing answers, it says why as far as this node can tell: the
// address is not here, nothing listens, the service listens elsewhere (on
// 127.0.0.1 only: Debian's MariaDB), the unit is not running or failed.
export const PROBE_SCRIPT = `timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null && { echo answers; exit 0; }
echo "$1:$2 does not answer"
if ! ip -o -4 addr show 2>/dev/null | awk -v a="$1" '{ split($4, p, "/"); if (p[1] == a) found = 1 } END { exit !found }'; then
  echo "$1 is not an address of this node"; exit 1
fi
listeners=$(ss -Hltn "sport = :$2" 2>/dev/null | awk '{ print $4 }' | sort -u | tr '\n' ' ')
if [ -z "$listeners" ]; then echo "nothing listens on port $2 here"
else
  case " $listeners" in
    *" $1:$2 "*|*" 0.0.0.0:$2 "*|*" *:$2 "*|*" [::]:$2 "*) echo "port $2 is listened on ($listeners) yet does not answer" ;;
    *) echo "port $2 is listened on only at \${listeners% }, not on $1: the service must listen on $1 or on all addresses (0.0.0.0)" ;;
  esac
fi
if [ -n "$3" ]; then
  state=$(systemctl is-active -- "$3.service" 2>/dev/null)
  echo "$3: \${state:-unknown}"
  [ "$state" = failed ] && journalctl -u "$3.service" -n 5 --no-pager -o cat 2>/dev/null | sed 's/^/  | /'
fi
exit 1`;

const probe = (a: WaitPortArgs) => ['bash', '-c', PROBE_SCRIPT, 'haforge-probe', a.host, String(a.port), a.unit ?? ''];
/** The probe's explanation on one line, for the progress and the give-up message. */
const why = (stdout: string) => stdout.trim().split('\n').map((l) => l.trim()).filter(Boolean).join('; ');

export const waitPortOperation: Operation<WaitPortArgs> = {
  name: 'wait_port',
  summary: 'Wait until a TCP port answers (seen from the node), e.g. a service on the virtual IP.',
  idempotent: true,
  predictable: false,
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['host', 'port'],
    properties: {
      host: { type: 'string', minLength: 1, description: 'Address or name to connect to.' },
      port: { type: 'integer', minimum: 1, maximum: 65535, description: 'TCP port.' },
      timeout: { type: 'integer', minimum: 1, maximum: 3600, description: 'Seconds to wait before failing (default 120).' },
      unit: { ...unitName, description: 'The systemd unit behind the port: its state explains a port that does not answer.' },
    },
  },
  label: (a) => `wait for ${a.host}:${a.port}`,
  facts: (a) => [request(commandFact, { argv: probe(a) })],
  plan(a, ctx): TaskPlan {
    if (ctx.fact(request(commandFact, { argv: probe(a) })).exitCode === 0) return noop(`${a.host}:${a.port} answers`);
    const timeout = a.timeout ?? 120;
    const started = Date.now();
    return {
      steps: [
        {
          description: `wait until ${a.host}:${a.port} answers`,
          argv: probe(a),
          watch: {
            intervalMs: 1000,
            timeoutMs: timeout * 1000,
            check: (stdout, exitCode) =>
              exitCode === 0
                ? { done: true, progress: `${a.host}:${a.port} answers after ${((Date.now() - started) / 1000).toFixed(1)} s` }
                : { done: false, progress: why(stdout) || `${a.host}:${a.port} not answering yet` },
            timeoutHint: 'what the node saw last is above: a service bound to 127.0.0.1 needs its bind address set (a config file task), a failed one its log',
          },
        },
      ],
      reason: `${a.host}:${a.port} does not answer yet`,
    };
  },
};
