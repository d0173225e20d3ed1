// A minimal QMP client (QEMU Machine Protocol, JSON over the VM's unix
// socket): connect, negotiate capabilities, run one command, close.
import net from 'node:net';
import { UserError } from '../errors.js';

interface QmpReply {
  return?: unknown;
  error?: { class: string; desc: string };
  event?: string;
  QMP?: unknown;
}

export async function qmpCommand(socketPath: string, execute: string, args?: Record<string, unknown>, timeoutMs = 5000): Promise<unknown> {
  const sock = net.connect(socketPath);
  const replies: QmpReply[] = [];
  let waiter: (() => void) | undefined;
  let buf = '';
  let failure: Error | undefined;
  sock.setEncoding('utf8');
  sock.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) replies.push(JSON.parse(line) as QmpReply);
    }
    waiter?.();
  });
  sock.on('error', (err) => {
    failure = err;
    waiter?.();
  });
  const timer = setTimeout(() => {
    failure = new Error(`no answer within ${timeoutMs} ms`);
    waiter?.();
  }, timeoutMs);

  // Events may arrive at any time; a reply is anything with return or error.
  const next = async (want: (r: QmpReply) => boolean): Promise<QmpReply> => {
    for (;;) {
      const i = replies.findIndex(want);
      if (i >= 0) return replies.splice(i, 1)[0];
      if (failure) throw new UserError(`QEMU monitor ${socketPath}: ${failure.message}`, { hint: 'is the VM running? see `haforge lab status`' });
      await new Promise<void>((r) => (waiter = r));
    }
  };
  const isReply = (r: QmpReply) => 'return' in r || 'error' in r;
  try {
    await next((r) => 'QMP' in r);
    sock.write(`${JSON.stringify({ execute: 'qmp_capabilities' })}\n`);
    await next(isReply);
    sock.write(`${JSON.stringify(args ? { execute, arguments: args } : { execute })}\n`);
    const reply = await next(isReply);
    if (reply.error) throw new UserError(`QEMU refused ${execute}: ${reply.error.desc}`);
    return reply.return;
  } finally {
    clearTimeout(timer);
    sock.destroy();
  }
}
