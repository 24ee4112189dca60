import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ROOT, CHROMIUM, haveChromium, launchChromium, startTestSite } from '../../helpers.js';
import type { Emulator } from '../../../emulator/index.js';

// The console in a real browser (Chromium driven by playwright-core): log in,
// click the single-server procedure through, watch the checklist advance and
// the feed show what a demo client saw. Without Chromium the suite is skipped
// locally, and fails in CI.

const ARTIFACTS = join(ROOT, 'test-artifacts', 'console');

/** Waits (bounded) until the page shows what the assertion expects; the page updates from the event stream. */
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 10_000, interval: 50 });

if (!haveChromium && process.env.CI) {
  describe('console in a browser', () => {
    it(`needs Chromium at ${CHROMIUM} in CI`, () => {
      expect.fail(`${CHROMIUM} is missing; the console's browser test cannot run`);
    });
  });
}

describe.skipIf(!haveChromium)('console in a browser (single-server site)', () => {
  let emu: Emulator;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    emu = await startTestSite();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    page.setDefaultTimeout(10_000);
  });

  afterAll(async () => {
    await browser?.close();
    await emu?.stop();
  });

  const card = () => page.locator('article.card[data-server="twsv01"]');
  const step = (n: number) => card().locator(`li[data-step="${n}"]`);
  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  /** Waits until the card highlights step `next` and shows exactly `done` as done. */
  async function expectChecklist(next: number, done: number[]) {
    await poll(async () => card().getAttribute('data-next')).toBe(String(next));
    await poll(async () => (await card().locator('li[data-done="true"]').evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.step))))).toEqual(done);
    expect(await step(next).getAttribute('data-next')).toBe('true');
  }

  it('logs in with the token and shows the site', async () => {
    const response = await page.goto(`${emu.endpoints.control}/console`);
    expect(response?.status()).toBe(401);
    await page.fill('#token', 'wrong-token');
    await page.click('#login-form button[type=submit]');
    await poll(() => page.locator('.login-error').textContent()).toBe('Wrong admin token.');
    await page.fill('#token', emu.token);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('body[data-ready="true"]');
    // This test clicks the clients itself; the automatic re-run after each state change would interleave.
    await page.uncheck('#clients-auto');
    // The token is in an HttpOnly cookie: the page's scripts cannot read it.
    expect(await page.evaluate(() => document.cookie)).not.toContain('twemu_token');
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'twemu_token')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    await poll(() => page.locator('#connection').getAttribute('data-live')).toBe('true');
    expect(await card().locator('[data-field="service"]').textContent()).toBe('AVAILABLE');
    await expectChecklist(1, []);
    // Background services that report a state (gateways, SearchPro) show it on their server's card.
    const status = emu.site.serverStatus(emu.site.server('twsv01')) as Record<string, unknown>;
    const reported = Object.entries(status).filter(([, v]) => v && typeof v === 'object' && typeof (v as { state?: unknown }).state === 'string');
    for (const [key, v] of reported) expect(await card().locator(`[data-ext="${key}"]`).getAttribute('data-state')).toBe((v as { state: string }).state);
    await shot('01-start');
  });

  it('refuses a wrong-order command in strict mode and shows the rule', async () => {
    await page.fill('#command', 'tobkweb arc');
    await page.click('#command-form button[type=submit]');
    await poll(() => page.locator('#result').getAttribute('data-kind')).toBe('refused');
    const text = await page.locator('#result').textContent();
    expect(text).toContain('REFUSED: twsv01 is not in backup mode (step 3 comes after step 2)');
    expect(text).toContain('rule: backup-on-first');
    // The refusal names the next allowed command, the procedure's answer (as the checklist's next step).
    expect(text).toContain('next allowed: `to tran suspend --server twsv01`');
    await page.locator('#feed li[data-type="refused"]').first().waitFor();
    expect(await page.locator('#feed li[data-type="refused"]').first().textContent()).toContain('backup-on-first');
    await expectChecklist(1, []);
    await shot('02-refused');
  });

  it('clicks step 1 and shows what a POP3 client sees while suspended', async () => {
    await step(1).locator('button').click();
    await poll(() => card().locator('[data-field="service"]').textContent()).toBe('SUSPENDED');
    await expectChecklist(2, [1]);
    await page.selectOption('#demo-server', 'twsv01');
    await page.click('button[data-demo="pop3-login"]');
    const fired = page.locator('#feed li[data-type="behaviour"][data-behaviour="pop3.login"]').first();
    await fired.waitFor();
    expect(await fired.locator('.jp').first().textContent()).toMatch(/^-ERR unable to lock maildrop/);
    // Documented behaviours are told apart from emulator defaults.
    expect(await fired.locator('.source').textContent()).toBe('documented');
    // ...and per part: POP3's leading '-' is ours, so the line on the wire is derived from the seed's.
    expect(await fired.locator('.prov').first().getAttribute('data-provenance')).toBe('derived');
    const saw = page.locator('#feed li[data-type="client"]').first();
    await saw.waitFor();
    expect(await saw.locator('.jp').textContent()).toMatch(/^-ERR unable to lock maildrop/);
    // Every behaviour in the feed says where it comes from, as the catalog does.
    const catalog = new Map(emu.site.catalog.list().map((b) => [b.id, b.source]));
    const badges = await page.locator('#feed li[data-behaviour]:not([data-behaviour=""])').evaluateAll((els) =>
      els.map((e) => [(e as HTMLElement).dataset.behaviour!, (e.querySelector('.source') as HTMLElement | null)?.dataset.source ?? null] as const));
    expect(badges.length).toBeGreaterThan(0);
    for (const [id, source] of badges) expect(source, id).toBe(catalog.get(id));
    const transcript = await page.locator('#demo-result').textContent();
    expect(transcript).toContain('C: PASS ********');
    expect(await page.locator('#demo-result .summary').textContent()).toMatch(/^=> -ERR unable to lock maildrop/);
    expect(transcript).toMatch(/S: -ERR unable to lock maildrop/);
    await shot('03-suspended-pop3');
  });

  it('shows the web busy page a browser user sees while suspended', async () => {
    await page.click('button[data-demo="web-page"]');
    const fired = page.locator('#feed li[data-type="behaviour"][data-behaviour="web.busy"]').first();
    await fired.waitFor();
    expect(await fired.locator('.jp').first().textContent()).toBe('サーバに負荷がかかっています。しばらくしてからアクセスしてください。');
    expect(await page.locator('#demo-result').textContent()).toContain('サーバに負荷がかかっています。しばらくしてからアクセスしてください。');
  });

  it('walks steps 2 to 7 by clicking, the checklist advancing at each', async () => {
    await step(2).locator('button').click();
    await expectChecklist(3, [1, 2]);
    await poll(() => card().locator('[data-field="backupMode"]').textContent()).toBe('ON');
    await step(3).locator('button').click();
    await expectChecklist(4, [1, 2, 3]);
    expect(await card().locator('[data-field="webArchive"]').textContent()).toBe('present');
    // Step 4 through the command box, as typed.
    await page.fill('#command', 'to tran resume');
    await page.click('#command-form button[type=submit]');
    await expectChecklist(5, [1, 2, 3, 4]);
    expect(await card().locator('[data-field="service"]').textContent()).toBe('AVAILABLE');
    await shot('04-resumed');
    // A client write lands in the staging area while backup mode is on.
    emu.site.deliver('alice', 'From: bob@teamware.example\r\nTo: alice@teamware.example\r\nSubject: during backup\r\n\r\nhello\r\n');
    await page.click('button[data-demo="pop3-login"]');
    await poll(() => page.locator('#demo-result').textContent()).toMatch(/S: \+OK/);
    // Step 5: the differential backup at the chosen level, by its run button.
    await step(5).locator('select').selectOption('0');
    await step(5).locator('button').click();
    await expectChecklist(6, [1, 2, 3, 4, 5]);
    expect(await page.locator('#result').textContent()).toContain(`written to ${join(emu.dataDir, 'console-backups')}`);
    expect(await card().locator('[data-field="backupDone"]').textContent()).toBe('yes (level 0)');
    expect(await card().locator('[data-field="staging"]').textContent()).toMatch(/^[1-9]\d* write\(s\)/);
    await step(6).locator('button').click();
    await expectChecklist(7, [1, 2, 3, 4, 5, 6]);
    await shot('05-before-backup-off');
    await step(7).locator('button').click();
    await expectChecklist(1, []);
    expect(await card().locator('[data-field="backupMode"]').textContent()).toBe('OFF');
    await page.locator('#feed li[data-type="staging"]').filter({ hasText: 'merged' }).first().waitFor();
    expect(emu.site.server('twsv01').state).toMatchObject({ service: 'available', backupMode: 'off', webArchive: 'absent' });
    await shot('06-done');
  });

  it('warns instead of refusing in lenient mode', async () => {
    await page.check('#lenient');
    await page.fill('#command', 'to backup on');
    await page.click('#command-form button[type=submit]');
    await poll(() => page.locator('#result').getAttribute('data-kind')).toBe('warning');
    const text = await page.locator('#result').textContent();
    expect(text).toContain('WARNING (rule suspend-first): lenient mode: twsv01: the service is not suspended (step 2 comes after step 1) (rule suspend-first broken on purpose)');
    await page.locator('#feed li[data-type="warning"]').first().waitFor();
    await poll(() => card().locator('[data-field="backupMode"]').textContent()).toBe('ON');
    // Step 1 was skipped: only step 2 is ticked, and suspending is still the next valid step.
    await expectChecklist(1, [2]);
    // The backup utility as typed, on top of the level 0 the button wrote.
    await page.fill('#command', `twemu backup --level 1 --dest ${join(emu.dataDir, 'console-backups')} --server twsv01`);
    await page.click('#command-form button[type=submit]');
    await poll(() => card().locator('[data-field="backupDone"]').textContent()).toBe('yes (level 1)');
    expect(await page.locator('#result').textContent()).toContain('twemu backup --level 1: done on twsv01');
    await shot('07-lenient-warning');
  });
});

describe.skipIf(!haveChromium)('console in a browser (multi-server site)', () => {
  let emu: Emulator;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    emu = await startTestSite({ topology: 'multi', appServers: 2 });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    page.setDefaultTimeout(10_000);
  });

  afterAll(async () => {
    await browser?.close();
    await emu?.stop();
  });

  const card = (name: string) => page.locator(`article.card[data-server="${name}"]`);

  it('shows the topology, refuses the directory server first, then suspends all in the documented order', async () => {
    await page.goto(`${emu.endpoints.control}/console`);
    await page.fill('#token', emu.token);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('body[data-ready="true"]');
    await page.uncheck('#clients-auto');
    expect(await page.locator('article.card').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.server))).toEqual(['twdir01', 'twap01', 'twap02']);
    expect(await page.locator('#topology').textContent()).toBe('multi-server site');
    expect(await card('twdir01').getAttribute('data-next')).toBe('');
    expect(await card('twdir01').locator('.waiting').textContent()).toContain('cannot suspend directory server twdir01 while application server(s) twap01, twap02 are available');
    expect(await card('twap01').getAttribute('data-next')).toBe('1');

    await page.selectOption('#command-server', 'twdir01');
    await page.fill('#command', 'to tran suspend');
    await page.click('#command-form button[type=submit]');
    await poll(() => page.locator('#result').getAttribute('data-kind')).toBe('refused');
    const refusal = await page.locator('#result').textContent();
    expect(refusal).toContain('REFUSED: cannot suspend directory server twdir01 while application server(s) twap01, twap02 are available');
    expect(refusal).toContain('rule: suspend-order');
    expect(emu.site.server('twdir01').suspended).toBe(false);

    await page.selectOption('#command-server', 'all');
    await page.click('#command-form button[type=submit]');
    await poll(() => page.locator('#result').textContent()).toContain('to tran suspend: done on twap01, twap02, twdir01');
    for (const name of ['twdir01', 'twap01', 'twap02']) {
      await poll(() => card(name).locator('[data-field="service"]').textContent()).toBe('SUSPENDED');
      expect(await card(name).getAttribute('data-next')).toBe('2');
    }
  });

  it('shows what an IMAP client sees on an application server', async () => {
    await page.selectOption('#demo-server', 'twap01');
    await page.click('button[data-demo="imap-login"]');
    const fired = page.locator('#feed li[data-type="behaviour"][data-behaviour="imap4.login"]').first();
    await fired.waitFor();
    expect(await fired.locator('.jp').first().textContent()).toContain('NO LOGIN failed:Server is busy');
    expect(await fired.locator('.meta').textContent()).toContain('twap01');
    expect(await page.locator('#demo-result').textContent()).toMatch(/S: a1 NO .*LOGIN failed:Server is busy/);
    await page.screenshot({ path: join(ARTIFACTS, 'multi-01-suspended.png'), fullPage: true });
    // What a 1280x800 projector shows without scrolling.
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(ARTIFACTS, 'multi-02-projector-1280.png') });
  });
});
