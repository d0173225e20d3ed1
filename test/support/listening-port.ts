// A real TCP port listening on 127.0.0.1 for the length of `use`: the
// scripts that check "the services answer on the VIP" run against it with
// 127.0.0.1 as the VIP.
import net from 'node:net';

export async function withListeningPort<T>(use: (port: number) => Promise<T> | T): Promise<T> {
  const server = net.createServer((s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    return await use((server.address() as net.AddressInfo).port);
  } finally {
    server.close();
  }
}
