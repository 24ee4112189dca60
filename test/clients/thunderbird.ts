// Drives Debian's Thunderbird (ESR) under Xvfb, with no window manager, against
// a test site: the profile is a user.js (first-run pages off, one IMAP account
// with login at startup, or one POP3 account with download_on_biff), the site's
// CA in the profile's NSS database (certutil), the password typed into
// Thunderbird's own prompt with xdotool (and kept by its password manager),
// screenshots of the whole screen with ImageMagick's `import`, the text of an
// alert copied (Ctrl+A, Ctrl+C: Gecko's dialogs allow it) and read back with
// xclip, and Thunderbird's own protocol log (MOZ_LOG) for which command got
// which reply on which of its connections. Every wait is bounded. Used by test/clients/thunderbird.test.ts and `npm run screenshots`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Emulator } from '../../emulator/index.js';
import { clientEnv } from '../helpers.js';

export const PROGRAMS = ['thunderbird', 'Xvfb', 'xdotool', 'import', 'certutil', 'xclip'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A free X display number (no socket, no lock file). */
function freeDisplay(): number {
  for (let n = 90 + Math.floor(Math.random() * 100); n < 400; n++) {
    if (!existsSync(`/tmp/.X11-unix/X${n}`) && !existsSync(`/tmp/.X${n}-lock`)) return n;
  }
  throw new Error('no free X display number');
}

export interface Account {
  kind: 'imap' | 'pop3';
  user: string;
  /** Another port than the site's (a recording proxy in front of it: `twemu record`). */
  port?: number;
}

export class Thunderbird {
  private xvfb: ChildProcess | null = null;
  private tb: ChildProcess | null = null;
  readonly display: string;
  readonly profile: string;
  log = '';

  constructor(private readonly emu: Emulator, private readonly dir: string, private readonly account: Account) {
    this.display = `:${freeDisplay()}`;
    this.profile = join(dir, `profile-${account.kind}`);
  }

  private x(args: string[]): string {
    const r = spawnSync('xdotool', args, { env: { ...clientEnv(), DISPLAY: this.display }, encoding: 'utf8', timeout: 10_000 });
    return (r.stdout ?? '').trim();
  }

  /** The names of the top-level windows (Thunderbird's main window, its dialogs and alerts). */
  windows(): string[] {
    const ids = this.x(['search', '--name', '.']).split('\n').filter(Boolean);
    return ids.map((id) => this.x(['getwindowname', id])).filter(Boolean);
  }

  /** Waits (bounded) until a window whose name matches appears (other than `except`, a window already seen); its id. */
  async waitWindow(name: RegExp, timeoutMs = 45_000, except?: string): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const id of this.x(['search', '--name', '.']).split('\n').filter(Boolean)) {
        if (id !== except && name.test(this.x(['getwindowname', id]))) return id;
      }
      await sleep(250);
    }
    throw new Error(`no window ${name} within ${timeoutMs} ms; windows: ${JSON.stringify(this.windows())}\n${this.log.slice(-2000)}`);
  }

  async waitGone(name: RegExp, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.windows().some((w) => name.test(w))) return;
      await sleep(250);
    }
    throw new Error(`window ${name} still there after ${timeoutMs} ms`);
  }

  focus(id: string): void {
    this.x(['windowfocus', '--sync', id]);
  }

  /** The text of a dialog (an alert), as Thunderbird shows it: copied with Ctrl+A, Ctrl+C and read back with xclip. */
  dialogText(id: string): string {
    spawnSync('xclip', ['-selection', 'clipboard', '-i', '/dev/null'], { env: { ...clientEnv(), DISPLAY: this.display }, timeout: 5000 });
    this.keys(id, 'ctrl+a', 'ctrl+c');
    const r = spawnSync('xclip', ['-selection', 'clipboard', '-o'], { env: { ...clientEnv(), DISPLAY: this.display }, encoding: 'utf8', timeout: 5000 });
    return (r.stdout ?? '').trim();
  }

  keys(id: string, ...keys: string[]): void {
    this.focus(id);
    this.x(['key', '--delay', '60', ...keys]);
  }

  /** A click at a point of the screen (Thunderbird's window fills it: no window manager). */
  click(x: number, y: number): void {
    this.x(['mousemove', '--sync', String(x), String(y), 'click', '1']);
  }

  type(id: string, text: string): void {
    this.focus(id);
    this.x(['type', '--delay', '40', text]);
  }

  screenshot(file: string): void {
    mkdirSync(join(file, '..'), { recursive: true });
    const r = spawnSync('import', ['-window', 'root', file], { env: { ...clientEnv(), DISPLAY: this.display }, timeout: 15_000 });
    if (r.status !== 0) throw new Error(`import failed: ${r.stderr}`);
  }

  /** The profile: user.js and the site's CA in the NSS database. */
  writeProfile(): void {
    mkdirSync(this.profile, { recursive: true });
    const s = this.emu.endpoints.servers[0]!;
    const a = this.account;
    const prefs: Record<string, string | number | boolean> = {
      // First-run pages, default-client check, rights notice, account hub, notifications, reporting and updates: off.
      'mail.provider.enabled': false, 'mailnews.start_page.enabled': false, 'mail.shell.checkDefaultClient': false,
      'mail.rights.version': 1, 'mail.accounthub.enabled': false, 'mail.inappnotifications.enabled': false,
      'datareporting.policy.dataSubmissionEnabled': false, 'datareporting.healthreport.uploadEnabled': false,
      'toolkit.telemetry.enabled': false, 'app.update.enabled': false, 'app.update.auto': false,
      'mail.accountmanager.accounts': 'account1,account2', 'mail.accountmanager.defaultaccount': 'account1',
      'mail.accountmanager.localfoldersserver': 'server2',
      'mail.account.account1.identities': 'id1', 'mail.account.account1.server': 'server1', 'mail.account.account2.server': 'server2',
      'mail.identity.id1.useremail': `${a.user}@teamware.example`, 'mail.identity.id1.fullName': a.user, 'mail.identity.id1.smtpServer': 'smtp1',
      'mail.smtpservers': 'smtp1', 'mail.smtpserver.smtp1.hostname': '127.0.0.1', 'mail.smtpserver.smtp1.port': s.smtp!,
      'mail.smtpserver.smtp1.username': a.user, 'mail.smtpserver.smtp1.try_ssl': 2, 'mail.smtpserver.smtp1.authMethod': 3,
      // The account: host, port, user; STARTTLS (socketType 2) and a normal password (authMethod 3), Thunderbird's choice for this server.
      'mail.server.server1.type': a.kind, 'mail.server.server1.hostname': '127.0.0.1', 'mail.server.server1.port': a.port ?? (a.kind === 'imap' ? s.imap! : s.pop3!),
      'mail.server.server1.userName': a.user, 'mail.server.server1.name': `${a.user}@teamware.example`,
      'mail.server.server1.socketType': 2, 'mail.server.server1.authMethod': 3, 'mail.server.server1.login_at_startup': true,
      ...(a.kind === 'pop3' ? { 'mail.server.server1.download_on_biff': true, 'mail.server.server1.leave_on_server': true, 'mail.server.server1.deferred_to_account': '' } : {}),
      'mail.server.server2.type': 'none', 'mail.server.server2.hostname': 'Local Folders', 'mail.server.server2.userName': 'nobody',
      'mail.server.server2.name': 'Local Folders',
    };
    writeFileSync(join(this.profile, 'user.js'), Object.entries(prefs).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});`).join('\n') + '\n');
    if (!existsSync(join(this.profile, 'cert9.db'))) {
      for (const args of [['-N', '-d', `sql:${this.profile}`, '--empty-password'], ['-A', '-n', 'twemu CA', '-t', 'C,,', '-i', this.emu.endpoints.ca!, '-d', `sql:${this.profile}`]]) {
        const r = spawnSync('certutil', args, { encoding: 'utf8', timeout: 15_000 });
        if (r.status !== 0) throw new Error(`certutil ${args[0]} failed: ${r.stderr}`);
      }
    }
  }

  async startX(): Promise<void> {
    this.xvfb = spawn('Xvfb', [this.display, '-screen', '0', '1152x720x24', '-nolisten', 'tcp'], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (!existsSync(`/tmp/.X11-unix/X${this.display.slice(1)}`)) {
      if (Date.now() > deadline) throw new Error('Xvfb did not start');
      await sleep(100);
    }
  }

  /**
   * Thunderbird's own IMAP log (MOZ_LOG=IMAP:5): what it sent (`C:`) and the
   * server's lines (`S:`), one entry a line, each with its connection's state
   * (`S-INBOX`: the connection with the INBOX selected; `A`: logged in, no
   * mailbox; `NA`: not logged in). Passwords are not in it (Thunderbird
   * suppresses the lines that carry them).
   */
  imapLog(): string[] {
    // Thunderbird names it MOZ_LOG_FILE plus `.moz_log` (or its own variant); its child processes' logs are beside it.
    const name = readdirSync(this.dir).find((f) => f.startsWith(`moz-${this.account.kind}`) && f.endsWith('.moz_log') && !f.includes('child'));
    if (!name) return [];
    const file = join(this.dir, name);
    const out: string[] = [];
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const m = /:127\.0\.0\.1:([^:]+):(SendData|CreateNewLineFromSocket): ([^\r]*)/.exec(line);
      if (m) out.push(`${m[1]} ${m[2] === 'SendData' ? 'C' : 'S'}: ${m[3]!.trimEnd()}`);
    }
    return out;
  }

  /** The POP3 messages Thunderbird has kept on the server (its popstate.dat, written when a download ends): their UIDLs. */
  popState(): string[] {
    const file = join(this.profile, 'Mail', '127.0.0.1', 'popstate.dat');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8').split('\n').filter((l) => /^[kdf] /.test(l)).map((l) => l.split(' ')[1]!);
  }

  private get logFile(): string {
    return join(this.dir, `moz-${this.account.kind}`);
  }

  start(): void {
    const env: NodeJS.ProcessEnv = {
      ...clientEnv(), DISPLAY: this.display, HOME: this.dir, MOZ_CRASHREPORTER_DISABLE: '1', NO_AT_BRIDGE: '1',
      MOZ_LOG: 'IMAP:5,sync', MOZ_LOG_FILE: this.logFile,
    };
    delete env.MOZ_HEADLESS;
    this.tb = spawn('thunderbird', ['--no-remote', '--profile', this.profile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.tb.stdout!.on('data', (d: Buffer) => (this.log += d.toString()));
    this.tb.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
  }

  /**
   * The first start on a new profile: X, Thunderbird, its password prompt answered (the password
   * kept in its password manager); the id of the main window once it shows the account's Inbox.
   */
  async firstStart(password = 'teamware'): Promise<string> {
    this.writeProfile();
    await this.startX();
    this.start();
    const prompt = await this.waitWindow(/^Enter your password/);
    this.type(prompt, password);
    this.keys(prompt, 'Tab', 'space', 'Return');
    return this.waitWindow(new RegExp(`^Inbox - ${this.account.user}@teamware\\.example - Mozilla Thunderbird$`));
  }

  /** Ends Thunderbird (it is started again on the same profile for a new login). */
  async stopThunderbird(): Promise<void> {
    const tb = this.tb;
    if (!tb || tb.exitCode !== null) return;
    const gone = new Promise<void>((r) => tb.once('exit', () => r()));
    tb.kill('SIGTERM');
    const timer = setTimeout(() => tb.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
    this.tb = null;
  }

  async stop(): Promise<void> {
    await this.stopThunderbird().catch(() => undefined);
    this.xvfb?.kill('SIGKILL');
    this.xvfb = null;
  }
}
