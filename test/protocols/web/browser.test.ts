// The web pages as a user sees them: Debian's Chromium driven by playwright-core.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Frame, Page } from 'playwright-core';
import { ROOT, api, CHROMIUM, haveChromium, launchChromium, runCli, sseEvents, startTestSite } from '../../helpers.js';
import type { Emulator } from '../../../emulator/index.js';

const BUSY = 'サーバに負荷がかかっています。しばらくしてからアクセスしてください。';
const ARTIFACTS = join(ROOT, 'test-artifacts', 'web');

if (!haveChromium && !process.env.CI) {
  console.warn(`web browser tests skipped: ${CHROMIUM} not found (install Debian's chromium; under CI=true this fails instead)`);
}

// Under CI a missing browser is a failure, not a skip.
describe.skipIf(!haveChromium && !process.env.CI)('web pages in Chromium', () => {
  let emu: Emulator;
  let browser: Browser;
  let base: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`${CHROMIUM} is missing: the browser tests cannot run (CI is set, so this is a failure)`);
    mkdirSync(ARTIFACTS, { recursive: true });
    emu = await startTestSite();
    base = emu.endpoints.servers[0]!.web!;
    browser = await launchChromium({ timeout: 20_000 });
  }, 60_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await emu?.stop();
  });

  const cli = async (command: 'suspend' | 'resume') => {
    const r = await runCli(['to', 'tran', command, '--data', emu.dataDir]);
    expect(r.code, r.stderr).toBe(0);
  };

  async function login(user: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 700 }, locale: 'ja-JP' });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(`${base}/login`);
    await page.fill('input[name=user]', user);
    await page.fill('input[name=password]', 'teamware');
    await Promise.all([page.waitForURL(`${base}/top`), page.click('button[type=submit]')]);
    return page;
  }

  const frame = (page: Page, name: string): Frame => {
    const f = page.frame({ name });
    if (!f) throw new Error(`no frame named ${name}`);
    return f;
  };
  const bodyText = (f: Frame) => f.locator('body').innerText();
  const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });

  it('[behaviour:web.busy] [behaviour:web.top-blank-frames] [behaviour:web.admin-menu-duplicate] [behaviour:web.facility-cancel] alice and ADMIN see each behaviour while the server is suspended through the CLI, and 戻る works after resume', async () => {
    const events = await sseEvents(emu);
    try {
      // alice logs in: menu, mail frame (INBOX) and personal schedule frame (today).
      const alice = await login('alice');
      await frame(alice, 'mail').locator('#mail-list').waitFor();
      await frame(alice, 'schedule').locator('#today-list').waitFor();
      expect(await bodyText(frame(alice, 'mail'))).toContain('週次報告のお願い');
      expect(await bodyText(frame(alice, 'schedule'))).toContain('定例会議');
      expect(await bodyText(frame(alice, 'menu'))).not.toContain('管理者メニュー');
      await shot(alice, '01-alice-top');

      // ADMIN logs in and opens the facility calendar forms (permit, add, search) before the suspension.
      const admin = await login('ADMIN');
      await frame(admin, 'menu').locator('a', { hasText: '部門管理者メニュー' }).click();
      await frame(admin, 'main').locator('#dept-facilities').waitFor();
      const forms: Page[] = [];
      for (const path of ['/dept/facility/permit?id=1', '/dept/facility/add', '/dept/facility/search?q=%E4%BC%9A%E8%AD%B0']) {
        const p = await admin.context().newPage();
        await p.goto(`${base}${path}`);
        await p.locator('#cancel').waitFor();
        forms.push(p);
      }

      await cli('suspend');

      // web.busy: opening a mail shows the message inside the mail frame, with 戻る; the schedule frame is untouched.
      await frame(alice, 'mail').locator('a', { hasText: '週次報告のお願い' }).click();
      await frame(alice, 'mail').locator('.busy').waitFor();
      expect(await bodyText(frame(alice, 'mail'))).toContain(BUSY);
      expect(await frame(alice, 'mail').locator('button', { hasText: '戻る' }).count()).toBe(1);
      expect(await bodyText(frame(alice, 'schedule'))).toContain('定例会議');
      await events.behaviour('web.busy');
      await shot(alice, '02-web-busy-mail-frame');

      // web.admin-menu-duplicate: switching to the administrator menu shows the message twice.
      await Promise.all([admin.waitForURL(`${base}/admin`), frame(admin, 'menu').locator('a', { hasText: '管理者メニュー' }).first().click()]);
      await frame(admin, 'adminmain').locator('.busy').waitFor();
      await frame(admin, 'adminmenu').locator('.busy').waitFor();
      const adminTexts = await Promise.all(['adminmenu', 'adminmain'].map((n) => bodyText(frame(admin, n))));
      expect(adminTexts.join('\n').split(BUSY)).toHaveLength(3);
      await events.behaviour('web.admin-menu-duplicate');
      await shot(admin, '03-web-admin-menu-duplicate');

      // web.facility-cancel: Cancel in permit / add / search answers 500 Internal Server Error.
      for (const [i, p] of forms.entries()) {
        const [response] = await Promise.all([p.waitForResponse((r) => r.url().includes('/dept/facility/cancel')), p.locator('#cancel').click()]);
        expect(response.status()).toBe(500);
        await p.waitForLoadState();
        expect((await p.locator('body').innerText()).trim()).toBe('500 Internal Server Error');
        if (i === 0) await shot(p, '04-web-facility-cancel-500');
      }
      await events.behaviour('web.facility-cancel');

      // Resume, then 戻る in the mail frame takes alice back to the list.
      await cli('resume');
      await frame(alice, 'mail').locator('button', { hasText: '戻る' }).click();
      await frame(alice, 'mail').locator('#mail-list').waitFor();
      expect(await bodyText(frame(alice, 'mail'))).toContain('Quarterly figures');
      await shot(alice, '05-after-resume-back');

      // 戻る in the administrator frames goes back to the top page.
      await Promise.all([admin.waitForURL(/\/top\??$/), frame(admin, 'adminmain').locator('button', { hasText: '戻る' }).click()]);
      await frame(admin, 'mail').locator('#mail-list').waitFor();

      // web.top-blank-frames: returning to the top page while suspended shows the mail and schedule frames grey.
      // (the second suspension goes through the control API, the same command the CLI sends)
      expect((await api(emu, 'POST', '/api/commands', { command: 'to tran suspend' })).status).toBe(200);
      await frame(alice, 'menu').locator('a', { hasText: 'トップページ' }).click();
      await alice.waitForFunction(() => {
        const main = (window.frames as unknown as Record<string, Window>)['main'];
        const doc = main?.frames?.[0]?.document;
        return doc?.body?.className === 'blank';
      });
      for (const name of ['mail', 'schedule']) {
        const f = frame(alice, name);
        await f.locator('body.blank').waitFor({ state: 'attached' });
        expect(f.url()).toBe(`${base}/blank`);
        expect((await bodyText(f)).trim()).toBe('');
        expect(await f.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(192, 192, 192)');
      }
      await events.behaviour('web.top-blank-frames');
      await shot(alice, '06-web-top-blank-frames');
      expect((await api(emu, 'POST', '/api/commands', { command: 'to tran resume' })).status).toBe(200);
      await frame(alice, 'menu').locator('a', { hasText: 'トップページ' }).click();
      await alice.waitForFunction(() => {
        const main = (window.frames as unknown as Record<string, Window>)['main'];
        return main?.frames?.[0]?.document?.getElementById('mail-list') !== null && main?.frames?.[0]?.document?.getElementById('mail-list') !== undefined;
      });
      await frame(alice, 'mail').locator('#mail-list').waitFor();
      await frame(alice, 'schedule').locator('#today-list').waitFor();
    } finally {
      events.close();
      if (emu.site.servers[0]!.suspended) await emu.command('to tran resume');
    }
  }, 60_000);

  it('alice composes a mail to bob and saves a memo with <script> that renders as text', async () => {
    const alice = await login('alice');
    await frame(alice, 'menu').locator('a', { hasText: 'メール' }).first().click();
    const main = () => frame(alice, 'main');
    await main().locator('#mail-list').waitFor();
    await main().locator('a', { hasText: '新規作成' }).click();
    await main().locator('input[name=to]').fill('bob');
    await main().locator('input[name=subject]').fill('ブラウザから');
    expect(await main().locator('textarea[name=body]').inputValue()).toContain('佐藤 亜里沙');
    await main().locator('button', { hasText: '送信' }).click();
    await main().locator('#sent').waitFor();
    expect(emu.site.homeStore('bob').mail.messages('bob', 'INBOX').length).toBeGreaterThanOrEqual(4);

    await frame(alice, 'menu').locator('a', { hasText: '個人メモ' }).click();
    await main().locator('a', { hasText: '新規作成' }).click();
    await main().locator('input[name=title]').fill('<script>document.title="pwned"</script>');
    await main().locator('textarea[name=body]').fill('<b>太字ではない</b>');
    await main().locator('button', { hasText: '保存' }).click();
    await main().locator('#memo-title').waitFor();
    expect(await main().locator('#memo-title').innerText()).toBe('<script>document.title="pwned"</script>');
    expect(await main().locator('#memo-body').innerText()).toBe('<b>太字ではない</b>');
    expect(await main().locator('#memo-body b').count()).toBe(0);
    expect(await main().evaluate(() => document.title)).not.toBe('pwned');
    await shot(alice, '07-memo-escaped');
  }, 30_000);
});
