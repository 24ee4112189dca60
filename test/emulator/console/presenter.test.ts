// The console in front of a class: a three-server site on a 1280x800
// projector, driven through the 7 steps with the keyboard, without scrolling.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ROOT, api, CHROMIUM, haveChromium, launchChromium, startTestSite } from '../../helpers.js';
import type { Emulator } from '../../../emulator/index.js';

const ARTIFACTS = join(ROOT, 'test-artifacts', 'console');
const poll = <T>(fn: () => Promise<T> | T, timeout = 10_000) => expect.poll(fn, { timeout, interval: 50 });

if (!haveChromium && process.env.CI) {
  describe('console presenter layout', () => {
    it(`needs Chromium at ${CHROMIUM} in CI`, () => {
      expect.fail(`${CHROMIUM} is missing; the console's presenter test cannot run`);
    });
  });
}

describe.skipIf(!haveChromium)('console presenter layout (three servers, 1280x800, keyboard)', () => {
  let emu: Emulator;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    emu = await startTestSite({ topology: 'multi', appServers: 2, timeZone: 'Asia/Tokyo' });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(10_000);
    await page.goto(`${emu.endpoints.control}/console`);
    await page.fill('#token', emu.token);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('body[data-ready="true"]');
  });

  afterAll(async () => {
    await browser?.close();
    await emu?.stop();
  });

  /** Everything the room must see is inside the 1280x800 viewport and the page itself does not scroll. */
  async function fitsOneScreen(): Promise<void> {
    const m = await page.evaluate(() => {
      const box = (sel: string) => [...document.querySelectorAll(sel)].map((e) => {
        const r = e.getBoundingClientRect();
        return { sel, top: r.top, left: r.left, bottom: r.bottom, right: r.right, height: r.height };
      });
      return {
        scrollHeight: document.documentElement.scrollHeight, scrollWidth: document.documentElement.scrollWidth,
        boxes: [...box('article.card'), ...box('#command-form'), ...box('#result:not(:empty)'), ...box('#feed-panel'), ...box('#next-step'), ...box('#seen')],
        // The latest feed item starts inside the screen, with room to read its first lines.
        feedTop: document.querySelector('#feed li:first-child')?.getBoundingClientRect().top ?? 0,
      };
    });
    expect(m.scrollHeight).toBeLessThanOrEqual(800);
    expect(m.scrollWidth).toBeLessThanOrEqual(1280);
    expect(m.boxes.filter((b) => b.sel === 'article.card')).toHaveLength(3);
    expect(m.feedTop).toBeLessThanOrEqual(800 - 60);
    for (const b of m.boxes) {
      expect(b.top, b.sel).toBeGreaterThanOrEqual(0);
      expect(b.left, b.sel).toBeGreaterThanOrEqual(0);
      expect(b.bottom, b.sel).toBeLessThanOrEqual(800);
      expect(b.right, b.sel).toBeLessThanOrEqual(1280);
    }
  }

  const staging = (server: string) => page.locator(`article.card[data-server="${server}"] [data-field="staging"]`).textContent();

  it('fits one 1280x800 screen with the three cards, the command box, the clients and the feed; secondary text is 18 px or more', async () => {
    await fitsOneScreen();
    const smallest = await page.evaluate(() => Math.min(...[...document.querySelectorAll('body *')]
      .filter((e) => e.childNodes.length && [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent!.trim()) && (e as HTMLElement).offsetParent !== null)
      .map((e) => Number.parseFloat(getComputedStyle(e).fontSize))));
    expect(smallest).toBeGreaterThanOrEqual(18);
    // The client pickers come from the directory: alice's home server is picked for her.
    expect(await page.locator('#demo-user').inputValue()).toBe('alice');
    expect(await page.locator('#demo-server').inputValue()).toBe(emu.site.account('alice')!.homeServer);
    await page.screenshot({ path: join(ARTIFACTS, 'presenter-01-start.png') });
  });

  it('walks the 7 steps from the keyboard with "next step", never scrolling; the staging count rises per write', async () => {
    const home = emu.site.account('alice')!.homeServer;
    for (let step = 1; step <= 7; step++) {
      await poll(() => page.locator('#next-step').getAttribute('data-step')).toBe(String(step));
      await page.locator('#next-step').focus();
      await page.keyboard.press('Enter');
      if (step < 7) await poll(() => page.locator('#next-step').getAttribute('data-step')).toBe(String(step + 1));
      await fitsOneScreen();
      if (step === 4) {
        // Backup mode with the service available: each write shows on alice's server's card as it happens.
        for (const n of [1, 2, 3]) {
          await api(emu, 'POST', '/api/mail', { to: 'alice', raw: `Subject: write ${n}\r\n\r\nduring the backup\r\n` });
          await poll(() => staging(home)).toMatch(new RegExp(`^${n} write\\(s\\)`));
        }
        await page.screenshot({ path: join(ARTIFACTS, 'presenter-02-backup-mode.png') });
      }
    }
    await poll(() => page.locator('#next-step').getAttribute('data-step')).toBe('1');
    for (const name of ['twdir01', 'twap01', 'twap02']) expect(emu.site.server(name).state).toMatchObject({ service: 'available', backupMode: 'off' });
    await page.screenshot({ path: join(ARTIFACTS, 'presenter-03-done.png') });
  });

  it('reaches every control with Tab, keeps the focus on the card after a run button re-renders it, and shows the focus ring', async () => {
    // Every control shown (those folded into a closed <details> are reached by its summary, which is a control too).
    const controls = await page.evaluate(() => [...document.querySelectorAll('main button:not(:disabled), main input, main select, main summary, header button:not(:disabled), header input')]
      .filter((e) => (e as HTMLElement).offsetParent !== null && (e.tagName === 'SUMMARY' || !e.closest('details:not([open])')))
      .map((e) => e.id || (e as HTMLElement).dataset.focus || (e as HTMLElement).getAttribute('aria-label') || e.textContent!.trim()));
    await page.locator('body').focus();
    const seen = new Set<string>();
    for (let i = 0; i < 200 && !controls.every((c) => seen.has(c)); i++) {
      await page.keyboard.press('Tab');
      seen.add(await page.evaluate(() => {
        const e = document.activeElement as HTMLElement;
        return e.id || e.dataset.focus || e.getAttribute('aria-label') || e.textContent!.trim();
      }));
    }
    for (const c of controls) expect(seen, c).toContain(c);
    // Buttons say what they do.
    const names = await page.locator('article.card button').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
    expect(new Set(names).size).toBe(names.length);
    expect(names[0]).toMatch(/^run step 1 \(to tran suspend\) on twdir01/);
    // Enter on the next step's run button: the cards re-render and the focus stays on that card.
    const run = page.locator('article.card[data-server="twap01"] li[data-step="1"] button');
    await run.focus();
    await page.keyboard.press('Enter');
    await poll(() => page.locator('article.card[data-server="twap01"] li[data-step="1"]').getAttribute('data-done')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.closest('article.card')?.getAttribute('data-server') ?? document.activeElement?.tagName)).toBe('twap01');
    const ring = await page.evaluate(() => {
      const s = getComputedStyle(document.activeElement!);
      return { style: s.outlineStyle, width: Number.parseFloat(s.outlineWidth) };
    });
    expect(ring.style).toBe('solid');
    expect(ring.width).toBeGreaterThanOrEqual(3);
    // Done and blocked steps cannot be run in strict mode.
    expect(await page.locator('article.card[data-server="twap01"] li[data-step="1"] button').isDisabled()).toBe(true);
    expect(await page.locator('article.card[data-server="twdir01"] li[data-step="1"] button').isDisabled()).toBe(true);
    // A mistyped command: the hint lists every command, the backup utility included.
    await page.fill('#command', 'to tran suspnd');
    await page.keyboard.press('Enter');
    await poll(() => page.locator('#result').textContent()).toContain('twemu backup --level N');
    // "/" brings the keyboard back to the command box.
    await run.focus();
    await page.keyboard.press('/');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('command');
    await page.fill('#command', '');
    await page.keyboard.type('npx twemu to tran resume --server twap01');
    await page.keyboard.press('Enter');
    await poll(() => page.locator('#result').textContent()).toContain('to tran resume: done on twap01');
  });

  it('shows feed times in the site time zone, and a suppressed behaviour as what would have been shown', async () => {
    const event = emu.site.events.since(0).at(-1)!;
    const jst = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Tokyo', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(new Date(event.time));
    await poll(() => page.locator(`#feed li[data-seq="${event.seq}"] .meta`).textContent()).toContain(jst);
    expect(await page.locator('#timezone').textContent()).toBe('times: Asia/Tokyo');
    await api(emu, 'PUT', '/api/catalog/pop3.login/policy', { mode: 'never' });
    await api(emu, 'POST', '/api/commands', { command: 'to tran suspend', server: 'all' });
    await page.uncheck('#clients-auto');
    await page.click('button[data-demo="pop3-login"]');
    const suppressed = page.locator('#feed li[data-type="behaviour-suppressed"][data-behaviour="pop3.login"]').first();
    await suppressed.waitFor();
    expect(await suppressed.locator('.jp').getAttribute('class')).toBe('jp would');
    expect(await suppressed.locator('.jp').textContent()).toMatch(/^would have shown: -ERR unable to lock maildrop/);
    const size = await suppressed.locator('.jp').evaluate((e) => Number.parseFloat(getComputedStyle(e).fontSize));
    const fired = await page.evaluate(() => Number.parseFloat(getComputedStyle(document.querySelector('#feed .jp:not(.would)') ?? document.body).fontSize));
    expect(size).toBeLessThan(fired);
    await api(emu, 'POST', '/api/catalog/reset', {});
  });

  it('"what the clients see" answers change with the state: every client re-runs on a state change', async () => {
    await page.check('#clients-auto');
    await api(emu, 'POST', '/api/commands', { command: 'to tran resume', server: 'all', lenient: true });
    await poll(() => page.locator('#seen-pop3-login').getAttribute('data-state'), 30_000).toBe('ok');
    await api(emu, 'POST', '/api/commands', { command: 'to tran suspend', server: 'all' });
    // Each of the four clients runs again, one after the other.
    for (const kind of ['pop3-login', 'imap-login', 'web-page', 'api-call', 'smtp-login']) await poll(() => page.locator(`#seen-${kind}`).getAttribute('data-state'), 30_000).toBe('behaviour');
    expect(await page.locator('#seen-pop3-login .answer').textContent()).toMatch(/^-ERR unable to lock maildrop/);
    await fitsOneScreen();
    // (The clicks above scrolled the clients panel to the transcript; a class sees it from the top.)
    await page.locator('.clients-panel').evaluate((e) => e.scrollTo(0, 0));
    await page.screenshot({ path: join(ARTIFACTS, 'presenter-04-clients.png') });
    // The docs show this screen (docs/console.md, README).
    if (process.env.TWEMU_UPDATE_DOCS) copyFileSync(join(ARTIFACTS, 'presenter-04-clients.png'), join(ROOT, 'docs', 'images', 'console-presenter.png'));
  });

  it('runs a bundled scenario from the console step by step, and the timeline shows the windows', async () => {
    await page.click('#open-timeline');
    await poll(() => page.locator('#timeline-body .lane').count()).toBe(3);
    expect(await page.locator('#timeline-body .lane[data-server="twap01"] .window.suspended').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(ARTIFACTS, 'presenter-05-timeline.png') });
    await page.keyboard.press('Escape');
    await api(emu, 'POST', '/console/reset', {});
    await page.uncheck('#clients-auto');
    await page.click('#open-scenarios');
    await page.selectOption('#scenario-file', 'training.suspend-order.yaml');
    await page.click('#scenario-run-step');
    await poll(() => page.locator('#scenario-state').textContent()).toBe('PAUSED');
    await page.click('#scenario-step');
    await poll(() => page.locator('#scenario-run .run-steps li').count()).toBe(1);
    await page.click('#scenario-resume');
    await poll(() => page.locator('#scenario-state').textContent()).toMatch(/PASSED|FAILED/);
    expect(await page.locator('#scenario-state').textContent(), await page.locator('#scenario-run').textContent() ?? '').toBe('PASSED');
    await page.screenshot({ path: join(ARTIFACTS, 'presenter-06-scenario.png') });
    await page.keyboard.press('Escape');
    expect(await page.locator('#feed li[data-type="scenario"]').count()).toBeGreaterThan(2);
  });
});
