// TLS on the mail protocols, through real sockets: STLS (POP3), STARTTLS
// (IMAP), the implicit-TLS listeners, the certificate in the data directory,
// `tls: off`, a given certificate, and loginRequiresTls.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect as tlsConnect } from 'node:tls';
import { LineClient } from '../common/line-client.js';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestSite, tempDir } from '../../helpers.js';
import type { Emulator } from '../../../emulator/index.js';


describe('TLS with the certificate created at first start', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startTestSite();
  });
  afterAll(() => emu.stop());

  it('endpoints.json gives ca, pop3s and imaps; the key is 0600', () => {
    const ep = JSON.parse(readFileSync(join(emu.dataDir, 'endpoints.json'), 'utf8'));
    expect(ep.ca).toBe(join(emu.dataDir, 'tls', 'ca.pem'));
    expect(ep.servers[0].pop3s).toBeGreaterThan(0);
    expect(ep.servers[0].imaps).toBeGreaterThan(0);
    expect(statSync(join(emu.dataDir, 'tls', 'key.pem')).mode & 0o777).toBe(0o600);
    expect(readFileSync(ep.ca, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it('POP3: CAPA offers STLS; after STLS the handshake verifies against the CA, pipelined plain text is dropped, login works', async () => {
    const c = await LineClient.plain(emu.endpoints.servers[0]!.pop3!);
    await c.until(/^\+OK .*\r\n/);
    c.send('CAPA\r\n');
    expect(await c.until(/\r\n\.\r\n/)).toMatch(/\r\nSTLS\r\n/);
    // A command injected after STLS in the same packet must not run inside TLS (RFC 2595).
    c.send('STLS\r\nUSER mallory\r\n');
    expect(await c.until(/\r\n/)).toBe('+OK Begin TLS negotiation\r\n');
    const s = await c.upgrade(emu.endpoints.ca!);
    expect(s.authorized).toBe(true);
    c.send('CAPA\r\n');
    const capa = await c.until(/\r\n\.\r\n/);
    expect(capa).not.toMatch(/STLS/);
    c.send('PASS teamware\r\n');
    expect(await c.until(/\r\n/)).toBe('-ERR give USER first\r\n');
    c.send('USER alice\r\nPASS teamware\r\n');
    await c.until(/\+OK send PASS for alice\r\n/);
    expect(await c.until(/\r\n/)).toMatch(/^\+OK alice's maildrop has \d+ messages/);
    c.send('STLS\r\n');
    expect(await c.until(/\r\n/)).toMatch(/^-ERR /);
    c.close();
  });

  it('POP3S: TLS from the first byte', async () => {
    const c = await LineClient.implicit(emu.endpoints.servers[0]!.pop3s!, emu.endpoints.ca!);
    expect(await c.until(/\r\n/)).toMatch(/^\+OK twsv01 POP3 server ready/);
    c.send('CAPA\r\n');
    expect(await c.until(/\r\n\.\r\n/)).not.toMatch(/STLS/);
    c.send('STLS\r\n');
    expect(await c.until(/\r\n/)).toBe('-ERR TLS is already in force\r\n');
    c.close();
  });

  it('IMAP: STARTTLS in the capabilities, handshake, pipelined commands dropped, LOGIN inside TLS', async () => {
    const c = await LineClient.plain(emu.endpoints.servers[0]!.imap!);
    expect(await c.until(/\r\n/)).toMatch(/STARTTLS.*AUTH=PLAIN/);
    c.send('a STARTTLS\r\nb LOGIN mallory x\r\n');
    expect(await c.until(/\r\n/)).toBe('a OK Begin TLS negotiation now\r\n');
    const s = await c.upgrade(emu.endpoints.ca!);
    expect(s.authorized).toBe(true);
    c.send('c CAPABILITY\r\n');
    const caps = await c.until(/c OK .*\r\n/);
    expect(caps).not.toMatch(/STARTTLS/);
    expect(caps).not.toMatch(/\bb (OK|NO)/);
    c.send('d LOGIN alice teamware\r\n');
    expect(await c.until(/d \w+ .*\r\n/)).toMatch(/^d OK /);
    c.close();
  });

  it('IMAPS: TLS from the first byte; STARTTLS is refused there', async () => {
    const c = await LineClient.implicit(emu.endpoints.servers[0]!.imaps!, emu.endpoints.ca!);
    const greeting = await c.until(/\r\n/);
    expect(greeting).toMatch(/^\* OK \[CAPABILITY /);
    expect(greeting).not.toMatch(/STARTTLS/);
    c.send('a STARTTLS\r\n');
    expect(await c.until(/\r\n/)).toBe('a BAD TLS is already in force\r\n');
    c.close();
  });

  it('plain text where the handshake should be: the connection is closed (bad record or handshake timeout), the server keeps serving', async () => {
    const c = await LineClient.plain(emu.endpoints.servers[0]!.pop3!);
    await c.until(/\r\n/);
    c.send('STLS\r\n');
    await c.until(/\+OK Begin TLS negotiation\r\n/);
    const closed = new Promise<void>((r) => c.socket.once('close', () => r()));
    c.send('USER alice\r\nPASS teamware\r\n\x16\x03\x01\x00\x05garbage\r\n');
    await closed;
    const d = await LineClient.implicit(emu.endpoints.servers[0]!.pop3s!, emu.endpoints.ca!);
    expect(await d.until(/\r\n/)).toMatch(/^\+OK/);
    d.close();
  });

  it('a client that does not trust the certificate fails the handshake; the server keeps serving', async () => {
    await expect(new Promise((res, rej) => {
      const s = tlsConnect({ port: emu.endpoints.servers[0]!.imaps!, host: '127.0.0.1' }, () => res(s));
      s.once('error', rej);
    })).rejects.toThrow(/self[- ]signed|unable to (get|verify)/i);
    const c = await LineClient.implicit(emu.endpoints.servers[0]!.imaps!, emu.endpoints.ca!);
    expect(await c.until(/\r\n/)).toMatch(/^\* OK/);
    c.close();
  });
});

describe('tls settings', () => {
  it('tls: off is a plain-text server: no ca, no pop3s/imaps, STLS and STARTTLS refused', async () => {
    const emu = await startTestSite({ tls: 'off' });
    try {
      expect(emu.endpoints.ca).toBeUndefined();
      expect(emu.endpoints.servers[0]!.pop3s).toBeUndefined();
      expect(emu.endpoints.servers[0]!.imaps).toBeUndefined();
      const p = await LineClient.plain(emu.endpoints.servers[0]!.pop3!);
      await p.until(/\r\n/);
      p.send('STLS\r\n');
      expect(await p.until(/\r\n/)).toBe('-ERR STLS is not available on this server (TLS is off)\r\n');
      p.close();
      const i = await LineClient.plain(emu.endpoints.servers[0]!.imap!);
      expect(await i.until(/\r\n/)).not.toMatch(/STARTTLS/);
      i.send('a STARTTLS\r\n');
      expect(await i.until(/\r\n/)).toMatch(/^a BAD STARTTLS is not available/);
      i.close();
    } finally {
      await emu.stop();
    }
  });

  it('loginRequiresTls: LOGINDISABLED and -ERR before TLS, login after it; a given cert and key are served', async () => {
    // The certificate of one site given to another through the config.
    const first = await startTestSite();
    const dir = tempDir();
    const tlsDir = join(first.dataDir, 'tls');
    for (const f of ['cert.pem', 'key.pem', 'ca.pem']) writeFileSync(join(dir.path, f), readFileSync(join(tlsDir, f)));
    await first.stop();
    const emu = await startTestSite({ tls: { cert: join(dir.path, 'cert.pem'), key: join(dir.path, 'key.pem'), ca: join(dir.path, 'ca.pem'), loginRequiresTls: true } });
    try {
      expect(emu.endpoints.ca).toBe(join(dir.path, 'ca.pem'));
      const p = await LineClient.plain(emu.endpoints.servers[0]!.pop3!);
      await p.until(/\r\n/);
      p.send('CAPA\r\n');
      const capa = await p.until(/\r\n\.\r\n/);
      expect(capa).toMatch(/\r\nSTLS\r\n/);
      expect(capa).not.toMatch(/\r\nUSER\r\n/);
      p.send('USER alice\r\nPASS teamware\r\n');
      await p.until(/\r\n/);
      expect(await p.until(/\r\n/)).toBe('-ERR [AUTH] plain-text login is disabled on this server: send STLS first\r\n');
      p.send('STLS\r\n');
      await p.until(/\+OK Begin TLS negotiation\r\n/);
      await p.upgrade(emu.endpoints.ca!);
      p.send('USER alice\r\nPASS teamware\r\n');
      await p.until(/\r\n/);
      expect(await p.until(/\r\n/)).toMatch(/^\+OK alice's maildrop/);
      p.close();
      const i = await LineClient.plain(emu.endpoints.servers[0]!.imap!);
      const greeting = await i.until(/\r\n/);
      expect(greeting).toMatch(/STARTTLS LOGINDISABLED\]/);
      i.send('a LOGIN alice teamware\r\n');
      expect(await i.until(/\r\n/)).toBe('a NO [PRIVACYREQUIRED] Plain-text login is disabled on this server; use STARTTLS first\r\n');
      i.send('b STARTTLS\r\n');
      await i.until(/b OK .*\r\n/);
      await i.upgrade(emu.endpoints.ca!);
      i.send('c CAPABILITY\r\n');
      expect(await i.until(/c OK .*\r\n/)).toMatch(/AUTH=PLAIN/);
      i.send('d LOGIN alice teamware\r\n');
      expect(await i.until(/d \w+ .*\r\n/)).toMatch(/^d OK /);
      i.close();
    } finally {
      await emu.stop();
      dir.remove();
    }
  });

  it('a bad tls setting is one clear error', async () => {
    await expect(startTestSite({ tls: { cert: '/nonexistent/cert.pem' } as never })).rejects.toThrow(/tls.cert and tls.key go together/);
    await expect(startTestSite({ tls: { cert: '/nonexistent/c.pem', key: '/nonexistent/k.pem' } })).rejects.toThrow(/cannot read the TLS certificate \/nonexistent\/c.pem: ENOENT/);
    await expect(startTestSite({ tls: 'on' as never })).rejects.toThrow(/tls must be "off" or a mapping/);
  });
});
