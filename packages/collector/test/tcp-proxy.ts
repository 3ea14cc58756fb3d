// A TCP proxy the tests put between the collector and its database (MariaDB, PostgreSQL or ClickHouse), to stage outages.
import net from 'node:net';

/**
 * A TCP proxy to the database that can be cut (open connections dropped, new ones refused) and
 * restored. `commit` recognises the statement whose answer loseNextCommitAck() swallows.
 */
export async function startProxy(targetHost: string, targetPort: number, commit: RegExp = /COMMIT/) {
  const sockets = new Set<net.Socket>();
  let down = false;
  let loseNextCommitAck = false;
  let lostAcks = 0;
  const server = net.createServer((client) => {
    if (down) return client.destroy();
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(client).add(upstream);
    let swallow = false;
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.on('data', (d: Buffer) => {
      upstream.write(d);
      if (loseNextCommitAck && commit.test(d.toString('latin1'))) {
        // The server gets the COMMIT and commits; its answer never reaches the collector.
        loseNextCommitAck = false;
        swallow = true;
        lostAcks++;
        setTimeout(close, 300);
      }
    });
    upstream.on('data', (d: Buffer) => {
      if (!swallow) client.write(d);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      down = true;
      for (const s of sockets) s.destroy();
    },
    restore() {
      down = false;
    },
    /** Drops the server's answer to the next COMMIT and then the connection. */
    loseNextCommitAck() {
      loseNextCommitAck = true;
    },
    lostAcks: () => lostAcks,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

export type Proxy = Awaited<ReturnType<typeof startProxy>>;
