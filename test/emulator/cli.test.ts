import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { api, ROOT, runCli, startServeProcess, startTestSite, stopProcess, tempDir } from '../helpers.js';
import { Catalog, type Emulator } from '../../emulator/index.js';

const oneLine = (s: string) => {
  const lines = s.trim().split('\n');
  expect(lines, s).toHaveLength(1);
  expect(s).not.toMatch(/\n\s+at /);
  return lines[0]!;
};

describe('twemu CLI: user errors are one clear line and a non-zero exit', () => {
  it('bad flag, bad value, unknown command', async () => {
    const bad = await runCli(['serve', '--bogus']);
    expect(bad.code).toBe(2);
    expect(oneLine(bad.stderr)).toMatch(/^twemu: .*--bogus/);
    const port = await runCli(['serve', '--port-base', 'abc']);
    expect(port.code).toBe(2);
    expect(oneLine(port.stderr)).toContain('--port-base must be an integer');
    const unknown = await runCli(['to', 'tran', 'pause']);
    expect(unknown.code).toBe(2);
    expect(oneLine(unknown.stderr)).toContain('unknown command');
    const topo = await runCli(['serve', '--topology', 'triple']);
    expect(topo.code).not.toBe(0);
    expect(oneLine(topo.stderr)).toContain('topology must be');
  });

  it('no running site at --data', async () => {
    const dir = tempDir();
    try {
      const r = await runCli(['to', 'tran', 'suspend', '--data', dir.path]);
      expect(r.code).toBe(1);
      expect(oneLine(r.stderr)).toMatch(/no running site at .*; start one with `twemu serve/);
      const probe = createServer();
      await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
      const closed = (probe.address() as { port: number }).port;
      await new Promise<void>((r) => probe.close(() => r()));
      const s = await runCli(['status', '--url', `http://127.0.0.1:${closed}`, '--token', 'x']);
      expect(s.code).toBe(1);
      expect(oneLine(s.stderr)).toContain(`no running site answers at http://127.0.0.1:${closed}`);
    } finally {
      dir.remove();
    }
  });

  it('bad config file', async () => {
    const dir = tempDir();
    try {
      const file = join(dir.path, 'bad.yaml');
      writeFileSync(file, 'topology: single\nportz: 3\n');
      const r = await runCli(['serve', '--data', dir.path, '--config', file]);
      expect(r.code).toBe(1);
      expect(oneLine(r.stderr)).toContain('unknown setting "portz"');
      writeFileSync(file, 'policies: {pop3.login: {mode: sometimes}}\n');
      const r2 = await runCli(['serve', '--data', dir.path, '--config', file]);
      expect(oneLine(r2.stderr)).toContain('policy mode for pop3.login must be');
      const r3 = await runCli(['serve', '--data', dir.path, '--config', join(dir.path, 'missing.yaml')]);
      expect(oneLine(r3.stderr)).toContain('cannot read config file');
    } finally {
      dir.remove();
    }
  });

  it('port in use', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    const dir = tempDir();
    try {
      const r = await runCli(['serve', '--data', dir.path, '--port-base', String(port)]);
      expect(r.code).toBe(1);
      expect(oneLine(r.stderr)).toMatch(/port \d+ is already in use; .*--port-base/);
    } finally {
      blocker.close();
      dir.remove();
    }
  });
});

describe('twemu serve as a process', () => {
  it('writes endpoints.json and a 0600 token, prints `twemu ready`, keeps its state across SIGTERM and kill -9', async () => {
    const dir = tempDir();
    let p = await startServeProcess(['--data', dir.path, '--port-base', '0']);
    try {
      expect(p.output()).toContain(`twemu ready ${join(dir.path, 'endpoints.json')}`);
      const ep = JSON.parse(readFileSync(join(dir.path, 'endpoints.json'), 'utf8'));
      expect(ep.control).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(ep.servers[0]).toMatchObject({ name: 'twsv01', role: 'single' });
      expect(ep.servers[0].ame).toBe(`${ep.servers[0].web}/ame`);
      expect(statSync(join(dir.path, 'admin-token')).mode & 0o777).toBe(0o600);
      expect((await runCli(['to', 'tran', 'suspend', '--data', dir.path])).code).toBe(0);
      await stopProcess(p.child, 'SIGTERM');
      p = await startServeProcess(['--data', dir.path, '--port-base', '0']);
      let st = JSON.parse((await runCli(['status', '--json', '--data', dir.path])).stdout);
      expect(st.servers[0].service).toBe('suspended');
      expect((await runCli(['to', 'backup', 'on', '--data', dir.path])).code).toBe(0);
      await stopProcess(p.child, 'SIGKILL');
      p = await startServeProcess(['--data', dir.path, '--port-base', '0']);
      st = JSON.parse((await runCli(['status', '--json', '--data', dir.path])).stdout);
      expect(st.servers[0]).toMatchObject({ service: 'suspended', backupMode: 'on' });
      const human = await runCli(['status', '--data', dir.path]);
      expect(human.stdout).toMatch(/twsv01\s+single\s+suspended\s+on/);
    } finally {
      await stopProcess(p.child, 'SIGKILL');
      dir.remove();
    }
  }, 120_000);

  it('refuses a data directory that holds another topology', async () => {
    const dir = tempDir();
    const emu = await startTestSite({ dataDir: dir.path, demo: false });
    await emu.stop();
    try {
      const r = await runCli(['serve', '--data', dir.path, '--topology', 'multi', '--port-base', '0']);
      expect(r.code).toBe(1);
      expect(oneLine(r.stderr)).toContain('holds a single-server site');
    } finally {
      dir.remove();
    }
  });
});

describe('the behaviour catalog', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startTestSite({ demo: false });
  });
  afterAll(async () => emu.stop());

  it('`twemu catalog --json` lists every seed id with byte-exact texts (fixture copied from the spec catalog)', async () => {
    const spec = (JSON.parse(readFileSync(resolve(ROOT, 'test', 'fixtures', 'seed-catalog.json'), 'utf8')) as { behaviours: Array<{ id: string; messages: string[] }> }).behaviours;
    expect(spec.length).toBe(35);
    const r = await runCli(['catalog', '--json', '--data', tempDir().path]);
    expect(r.code, r.stderr).toBe(0);
    const product = JSON.parse(r.stdout).behaviours as Array<{ id: string; source: string; messages: string[] }>;
    for (const want of spec) {
      const got = product.find((b) => b.id === want.id);
      expect(got, want.id).toBeDefined();
      expect(got!.source).toBe('seed');
      for (const m of want.messages) expect(got!.messages.some((x) => x.includes(m)), `${want.id}: ${m}`).toBe(true);
    }
    expect(product.filter((b) => b.source === 'seed')).toHaveLength(35);
  });

  it('policies through the API: set, read back, refuse bad input with 400', async () => {
    const put = await api(emu, 'PUT', '/api/catalog/pop3.login/policy', { mode: 'probability', probability: 0.25, seed: 7, variant: 1 });
    expect(put.status).toBe(200);
    expect(put.body.policy).toEqual({ mode: 'probability', probability: 0.25, seed: 7, variant: 1 });
    const got = await api(emu, 'GET', '/api/catalog/pop3.login');
    expect(got.body.policy).toEqual(put.body.policy);
    const live = await runCli(['catalog', '--data', emu.dataDir]);
    expect(live.stdout).toMatch(/pop3\.login .*policy=probability 0\.25 seed 7 variant=1/);
    for (const bad of [{ mode: 'sometimes' }, { mode: 'probability', probability: 2 }, { mode: 'always', variant: 5 }, { mode: 'always', extra: 1 }]) {
      const r = await api(emu, 'PUT', '/api/catalog/pop3.login/policy', bad);
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.body.error).toBe('E_POLICY');
    }
    expect((await api(emu, 'PUT', '/api/catalog/no.such/policy', { mode: 'never' })).status).toBe(404);
    expect((await api(emu, 'POST', '/api/catalog/reset', {})).status).toBe(200);
    expect((await api(emu, 'GET', '/api/catalog/pop3.login')).body.policy).toEqual({ mode: 'always' });
  });

  it('the same seed gives the same sequence of draws; policy never and always are absolute', () => {
    const draws = (seed: number) => {
      const c = new Catalog({ policies: { 'ame.server-call': { mode: 'probability', probability: 0.5, seed } } });
      return Array.from({ length: 40 }, () => {
        const d = c.decide('ame.server-call');
        return d.fires ? d.variantName : '-';
      }).join(',');
    };
    expect(draws(7)).toBe(draws(7));
    expect(draws(7)).not.toBe(draws(8));
    expect(draws(7)).toMatch(/rc-9/);
    expect(draws(7)).toMatch(/-/);
    const c = new Catalog({ policies: { 'pop3.login': 'never', 'imap4.login': { mode: 'always', variant: 0 } } });
    expect(Array.from({ length: 10 }, () => c.decide('pop3.login').fires)).toEqual(Array(10).fill(false));
    expect(c.decide('imap4.login')).toMatchObject({ fires: true, messages: ['NO LOGIN failed:Server is busy'] });
  });
});
