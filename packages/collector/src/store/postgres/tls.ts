import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { PostgresConfig } from './url.js';

function pem(what: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${what} ${file}: ${(e as Error).message}`);
  }
}

/**
 * The TLS options for node-postgres that give libpq's meaning to sslmode:
 * - disable: plain TCP;
 * - prefer: TLS without certificate checks when the server offers it (the store falls back to
 *   plain TCP when the server has no TLS);
 * - require: TLS without certificate checks, or with the CA checked when sslrootcert is given;
 * - verify-ca: the certificate must chain to sslrootcert (the host name is not checked);
 * - verify-full: chain and host name checked (sslrootcert, else the system's CAs).
 * sslcert/sslkey add a client certificate. Files are read when the store connects.
 */
export function tlsOptions(cfg: PostgresConfig): false | ConnectionOptions {
  if (cfg.sslmode === 'disable') return false;
  const opts: ConnectionOptions = {};
  if (cfg.sslcert) opts.cert = pem('sslcert', cfg.sslcert);
  if (cfg.sslkey) opts.key = pem('sslkey', cfg.sslkey);
  const ca = cfg.sslrootcert && cfg.sslrootcert !== 'system' ? pem('sslrootcert', cfg.sslrootcert) : undefined;
  if (ca) opts.ca = ca;
  const checkChain = cfg.sslmode === 'verify-ca' || cfg.sslmode === 'verify-full' || (cfg.sslmode === 'require' && cfg.sslrootcert !== undefined);
  if (!checkChain) opts.rejectUnauthorized = false;
  else if (cfg.sslmode !== 'verify-full') opts.checkServerIdentity = () => undefined;
  return opts;
}
