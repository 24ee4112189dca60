// The site's TLS certificate: given in the config (`tls: {cert, key}`), or
// created at first start in DIR/tls/ (a private CA whose certificate clients
// trust, `ca.pem`, and a server certificate it signed; keys 0600), or none
// (`tls: off`, a plain-text server as many TeamWARE sites were on their LAN).

import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { createSecureContext, type SecureContext } from 'node:tls';
import { TwemuError } from './errors.js';

/** `tls` in the config file. */
export type TlsConfig = 'off' | {
  /** PEM certificate (chain) the servers present; with `key`. Absent: one created in DIR/tls/. */
  cert?: string;
  key?: string;
  /** PEM certificate clients should trust (endpoints.json `ca`); default: `cert`. */
  ca?: string;
  /** Refuse logins before STARTTLS/STLS (IMAP LOGINDISABLED, POP3 -ERR, SMTP AUTH after STARTTLS only). Default false. */
  loginRequiresTls?: boolean;
};

export interface SiteTls {
  context: SecureContext;
  /** Path of the PEM certificate clients should trust. */
  caFile: string;
  loginRequiresTls: boolean;
  /** For smtp-server, which takes the PEM texts. */
  cert: string;
  key: string;
}

const TLS_KEYS = ['cert', 'key', 'ca', 'loginRequiresTls'];

/** Checks `tls` of the config; every mistake is one clear error. */
export function checkTlsConfig(value: unknown, where = 'config'): TlsConfig | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === 'off' || value === false) return 'off';
  if (typeof value !== 'object' || Array.isArray(value)) throw new TwemuError('E_CONFIG', `${where}: tls must be "off" or a mapping {cert, key, ca, loginRequiresTls}`);
  const t = value as Record<string, unknown>;
  const unknown = Object.keys(t).filter((k) => !TLS_KEYS.includes(k));
  if (unknown.length) throw new TwemuError('E_CONFIG', `${where}: tls: unknown setting ${unknown.map((k) => JSON.stringify(k)).join(', ')} (known: ${TLS_KEYS.join(', ')})`);
  for (const k of ['cert', 'key', 'ca']) {
    if (t[k] !== undefined && (typeof t[k] !== 'string' || t[k] === '')) throw new TwemuError('E_CONFIG', `${where}: tls.${k} must be the path of a PEM file`);
  }
  if ((t.cert === undefined) !== (t.key === undefined)) throw new TwemuError('E_CONFIG', `${where}: tls.cert and tls.key go together`, { hint: 'give both, or neither to have a certificate created in the data directory' });
  if (t.ca !== undefined && t.cert === undefined) throw new TwemuError('E_CONFIG', `${where}: tls.ca needs tls.cert and tls.key`);
  if (t.loginRequiresTls !== undefined && typeof t.loginRequiresTls !== 'boolean') throw new TwemuError('E_CONFIG', `${where}: tls.loginRequiresTls must be true or false`);
  return t as TlsConfig;
}

function readPem(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new TwemuError('E_CONFIG', `cannot read the TLS ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Loads (or at first start creates) the site's certificate; null with `tls: off`. */
export async function loadSiteTls(config: TlsConfig | undefined, dataDir: string, names: { host: string; servers: string[] }): Promise<SiteTls | null> {
  if (config === 'off' || (config as unknown) === false) return null;
  const c = config ?? {};
  let cert: string;
  let key: string;
  let caFile: string;
  if (c.cert && c.key) {
    cert = readPem(resolve(c.cert), 'certificate');
    key = readPem(resolve(c.key), 'key');
    caFile = resolve(c.ca ?? c.cert);
    if (c.ca) readPem(caFile, 'CA certificate');
  } else {
    ({ cert, key, caFile } = await generatedCertificate(join(dataDir, 'tls'), names));
  }
  let context: SecureContext;
  try {
    context = createSecureContext({ cert, key, minVersion: 'TLSv1.2' });
  } catch (err) {
    throw new TwemuError('E_CONFIG', `the TLS certificate and key cannot be used: ${(err as Error).message}`, { hint: 'give a PEM certificate and its matching PEM key, or remove tls.cert/tls.key to have one created' });
  }
  return { context, caFile, cert, key, loginRequiresTls: c.loginRequiresTls === true };
}

/** DIR/tls/{ca.pem, cert.pem, key.pem}: created once (a CA and a server certificate it signed), reused after. */
async function generatedCertificate(dir: string, names: { host: string; servers: string[] }): Promise<{ cert: string; key: string; caFile: string }> {
  const caFile = join(dir, 'ca.pem');
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  if (existsSync(caFile) && existsSync(certFile) && existsSync(keyFile)) {
    return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), caFile };
  }
  // selfsigned (and its x509 library) loads only when a certificate is made: start-up time otherwise.
  const selfsigned = createRequire(import.meta.url)('selfsigned') as typeof import('selfsigned');
  // Valid from five years back for twenty-five: clients' clocks differ from this machine's (a test run may
  // fake the emulator's clock a year or more ahead while the clients keep the real one).
  const notBeforeDate = new Date(Date.now() - 5 * 365 * 24 * 3600_000);
  const notAfterDate = new Date(notBeforeDate.getTime() + 25 * 365 * 24 * 3600_000);
  const ca = await selfsigned.generate([{ name: 'commonName', value: 'twemu local CA' }, { name: 'organizationName', value: 'TeamWARE Office emulator' }], {
    keyType: 'ec', curve: 'P-256', algorithm: 'sha256', notBeforeDate, notAfterDate,
    extensions: [{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true }],
  });
  const altNames = new Map<string, { type: 2 | 7; value?: string; ip?: string }>();
  for (const n of ['localhost', ...names.servers]) altNames.set(n, { type: 2, value: n });
  for (const ip of ['127.0.0.1', '::1']) altNames.set(ip, { type: 7, ip });
  if (names.host && names.host !== '0.0.0.0' && names.host !== '::') altNames.set(names.host, isIP(names.host) ? { type: 7, ip: names.host } : { type: 2, value: names.host });
  // fetchmail and mbsync compare the host name they were given with the DNS names only: an IPv4
  // address they connect to is listed as a DNS name too (clients that check IP addresses use the above).
  for (const ip of new Set(['127.0.0.1', names.host])) if (isIP(ip) === 4) altNames.set(`dns:${ip}`, { type: 2, value: ip });
  const leaf = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec', curve: 'P-256', algorithm: 'sha256', notBeforeDate, notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [...altNames.values()] },
    ],
  });
  mkdirSync(dir, { recursive: true });
  // The CA's key is not kept: nobody can sign another certificate with it.
  writeFileSync(keyFile, leaf.private, { mode: 0o600 });
  chmodSync(keyFile, 0o600);
  const chain = `${leaf.cert.trim()}\n${ca.cert.trim()}\n`;
  writeFileSync(certFile, chain, { mode: 0o644 });
  writeFileSync(caFile, `${ca.cert.trim()}\n`, { mode: 0o644 });
  return { cert: chain, key: leaf.private, caFile };
}
