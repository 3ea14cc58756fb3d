// sslmode against a PostgreSQL that speaks TLS: the test server has no TLS of its own, so a proxy
// in front of it answers PostgreSQL's SSLRequest and terminates TLS with certificates made here
// by openssl, then passes the plain protocol on to the server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import pino from 'pino';
import { loadConfig, PostgresStore, startCollector } from '../src/index.js';
import { getJson, post, removeDir, smallRecord, tempDir, testConfig, waitFor } from './helpers.js';
import { createPgTestDatabase, postgresUrlOrSkip } from './postgres-helpers.js';

/** A self-signed certificate (its own CA) for `san`, e.g. `IP:127.0.0.1`; returns the PEM file paths. */
function makeCert(dir: string, name: string, san: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name}`, '-addext', `subjectAltName=${san}`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return { cert, key };
}

/** PostgreSQL's SSLRequest code (protocol 1234.5679). */
const SSL_REQUEST = 80877103;

async function startTlsProxy(target: { host: string; port: number }, pem: { cert: string; key: string }) {
  let sessions = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((raw) => {
    sockets.add(raw);
    raw.on('error', () => raw.destroy());
    raw.once('data', (first: Buffer) => {
      // A TLS-only server: anything but an SSLRequest is turned away.
      if (first.length !== 8 || first.readInt32BE(4) !== SSL_REQUEST) return raw.destroy();
      raw.write('S');
      const secure = new tls.TLSSocket(raw, { isServer: true, cert: readFileSync(pem.cert), key: readFileSync(pem.key) });
      secure.on('secure', () => sessions++);
      const up = net.connect(target.port, target.host);
      sockets.add(up);
      const close = () => (secure.destroy(), up.destroy());
      secure.on('error', close).on('close', close);
      up.on('error', close).on('close', close);
      secure.pipe(up).pipe(secure);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    sessions: () => sessions,
    close: () => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))),
  };
}

test('sslmode over TLS: require and prefer encrypt, verify-ca checks the CA, verify-full the host name too; ingest over verify-full', async (t) => {
  const base = postgresUrlOrSkip(t);
  if (!base) return;
  const dir = tempDir();
  const db = await createPgTestDatabase(base);
  const byIp = makeCert(dir, 'by-ip', 'IP:127.0.0.1');
  const byName = makeCert(dir, 'by-name', 'DNS:db.example');
  const proxyIp = await startTlsProxy(db, byIp);
  const proxyName = await startTlsProxy(db, byName);
  const silent = pino({ level: 'silent' });
  const ping = async (port: number, params: string) => {
    const cfg = loadConfig({ DATABASE_URL: db.urlVia('127.0.0.1', port, params) }, []).database;
    const store = new PostgresStore(cfg as Extract<typeof cfg, { kind: 'postgres' }>, silent);
    try {
      await store.ping();
      return 'ok';
    } catch (e) {
      return (e as Error).message;
    } finally {
      await store.close();
    }
  };
  try {
    assert.equal(await ping(proxyIp.port, 'sslmode=require'), 'ok', 'require: encrypted, the certificate not checked');
    assert.equal(await ping(proxyIp.port, 'sslmode=prefer'), 'ok', 'prefer: TLS when offered');
    assert.equal(proxyIp.sessions(), 2);
    assert.match(await ping(proxyIp.port, 'sslmode=disable'), /Connection terminated|ECONNRESET|closed/i, 'the TLS-only server turns plain connections away');
    assert.equal(await ping(proxyIp.port, `sslmode=verify-full&sslrootcert=${byIp.cert}`), 'ok', 'verify-full: chain and IP address match');
    assert.match(await ping(proxyIp.port, `sslmode=verify-ca&sslrootcert=${byName.cert}`), /self.signed|certificate|unable to verify/i, 'verify-ca with another CA fails');
    assert.equal(await ping(proxyName.port, `sslmode=verify-ca&sslrootcert=${byName.cert}`), 'ok', 'verify-ca does not check the host name');
    assert.match(await ping(proxyName.port, `sslmode=verify-full&sslrootcert=${byName.cert}`), /IP: 127\.0\.0\.1 is not in the cert's list|altnames/i, 'verify-full checks it');
    assert.match(await ping(proxyName.port, 'sslmode=require&sslrootcert=/nonexistent/ca.pem'), /cannot read sslrootcert \/nonexistent\/ca\.pem/);

    // The whole path (COPY, the position, /query) over verify-full.
    const data = tempDir();
    const c = await startCollector(testConfig(data, { DATABASE_URL: db.urlVia('127.0.0.1', proxyIp.port, `sslmode=verify-full&sslrootcert=${byIp.cert}`) }), { logger: silent });
    try {
      assert.equal((await post(`${c.url}/ingest`, JSON.stringify(smallRecord('tls-1')))).status, 200);
      await waitFor('tls-1 stored', async () => (await getJson(`${c.url}/query?request_id=tls-1`)).json.total === 1);
      assert.equal((await db.rows<{ n: number }>("SELECT COUNT(*)::int AS n FROM access_logs WHERE request_id = 'tls-1'"))[0].n, 1);
    } finally {
      await c.close();
      removeDir(data);
    }
  } finally {
    await proxyIp.close();
    await proxyName.close();
    await db.drop();
    removeDir(dir);
  }
});
