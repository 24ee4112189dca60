import type { ServerDatabase } from './database.js';
import { BadRequest, NotFound } from '../errors.js';

export const SERVICE_NAMES = ['mail', 'calendar', 'forum', 'library', 'web'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];
export type ServiceSet = Record<ServiceName, boolean>;

export interface Account {
  name: string;
  displayName: string;
  password: string;
  isAdmin: boolean;
  /** The application server holding the user's mail, schedule and web data. */
  homeServer: string;
  department: string;
  services: ServiceSet;
  template: string | null;
  /** The option settings file's content (free text), as the template gave it. */
  optionSettings: string | null;
  /** False when the account was created or updated without its option settings file applied. */
  optionSettingsApplied: boolean;
  createdAt: string;
}

export interface UserTemplate {
  name: string;
  services: ServiceSet;
  optionSettings: string | null;
  optionSettingsApplied: boolean;
  updatedAt: string;
}

export const ALL_SERVICES: ServiceSet = { mail: true, calendar: true, forum: true, library: true, web: true };

interface AccountRow {
  name: string; display_name: string; password: string; is_admin: number; home_server: string; department: string;
  services: string; template: string | null; option_settings: string | null; option_settings_applied: number; created_at: string;
}
interface TemplateRow { name: string; services: string; option_settings: string | null; option_settings_applied: number; updated_at: string }

function toAccount(r: AccountRow): Account {
  return {
    name: r.name, displayName: r.display_name, password: r.password, isAdmin: !!r.is_admin, homeServer: r.home_server,
    department: r.department, services: { ...ALL_SERVICES, ...JSON.parse(r.services) }, template: r.template,
    optionSettings: r.option_settings, optionSettingsApplied: !!r.option_settings_applied, createdAt: r.created_at,
  };
}
function toTemplate(r: TemplateRow): UserTemplate {
  return { name: r.name, services: { ...ALL_SERVICES, ...JSON.parse(r.services) }, optionSettings: r.option_settings,
    optionSettingsApplied: !!r.option_settings_applied, updatedAt: r.updated_at };
}

const NAME = /^[A-Za-z0-9._-]{1,32}$/;

export type NewAccount = Partial<Omit<Account, 'name' | 'createdAt'>> & { name: string; password: string; homeServer: string };
export type AccountPatch = Partial<Omit<Account, 'name' | 'createdAt' | 'services'>> & { services?: Partial<ServiceSet> };

/** Users, user templates and which services each account may use (the Directory service). */
export class DirectoryRepo {
  constructor(private readonly sdb: ServerDatabase) {}

  get(name: string): Account | null {
    const row = this.sdb.prepare('SELECT * FROM accounts WHERE name = ? COLLATE NOCASE').get(name) as AccountRow | undefined;
    return row ? toAccount(row) : null;
  }

  list(): Account[] {
    return (this.sdb.prepare('SELECT * FROM accounts ORDER BY name').all() as AccountRow[]).map(toAccount);
  }

  /** The account when the password matches, else null. */
  authenticate(name: string, password: string): Account | null {
    const account = this.get(name);
    return account && account.password === password ? account : null;
  }

  create(input: NewAccount, opts: { applyOptionSettings?: boolean } = {}): Account {
    if (!NAME.test(input.name)) throw new BadRequest('E_ACCOUNT_NAME', `account name ${JSON.stringify(input.name)} must be 1-32 letters, digits, '.', '_' or '-'`);
    if (typeof input.password !== 'string' || input.password.length === 0) throw new BadRequest('E_PASSWORD', 'a password is required');
    if (this.get(input.name)) throw new BadRequest('E_ACCOUNT_EXISTS', `account ${input.name} already exists`);
    const template = input.template ? this.template(input.template) : null;
    if (input.template && !template) throw new NotFound('E_NO_TEMPLATE', `no user template ${input.template}`);
    const applied = opts.applyOptionSettings ?? true;
    const services = { ...ALL_SERVICES, ...(template?.services ?? {}), ...(input.services ?? {}) };
    const optionSettings = input.optionSettings ?? template?.optionSettings ?? null;
    const createdAt = this.sdb.now();
    this.sdb.write({ service: 'directory', operation: 'account-create', object: input.name }, () => {
      this.sdb.prepare(`INSERT INTO accounts (name, display_name, password, is_admin, home_server, department, services, template,
        option_settings, option_settings_applied, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
        input.name, input.displayName ?? input.name, input.password, input.isAdmin ? 1 : 0, input.homeServer, input.department ?? '',
        JSON.stringify(services), input.template ?? null, applied ? optionSettings : null, applied ? 1 : 0, createdAt);
    });
    return this.get(input.name)!;
  }

  update(name: string, patch: AccountPatch): Account {
    const current = this.get(name);
    if (!current) throw new NotFound('E_NO_ACCOUNT', `no account ${name}`);
    const next: Account = { ...current, ...patch, services: { ...current.services, ...(patch.services ?? {}) } } as Account;
    this.sdb.write({ service: 'directory', operation: 'account-update', object: current.name }, () => {
      this.sdb.prepare(`UPDATE accounts SET display_name = ?, password = ?, is_admin = ?, home_server = ?, department = ?, services = ?,
        template = ?, option_settings = ?, option_settings_applied = ? WHERE name = ?`).run(
        next.displayName, next.password, next.isAdmin ? 1 : 0, next.homeServer, next.department, JSON.stringify(next.services),
        next.template, next.optionSettings, next.optionSettingsApplied ? 1 : 0, current.name);
    });
    return this.get(name)!;
  }

  delete(name: string): void {
    const current = this.get(name);
    if (!current) throw new NotFound('E_NO_ACCOUNT', `no account ${name}`);
    this.sdb.write({ service: 'directory', operation: 'account-delete', object: current.name }, () => {
      this.sdb.prepare('DELETE FROM accounts WHERE name = ?').run(current.name);
    });
  }

  template(name: string): UserTemplate | null {
    const row = this.sdb.prepare('SELECT * FROM templates WHERE name = ? COLLATE NOCASE').get(name) as TemplateRow | undefined;
    return row ? toTemplate(row) : null;
  }

  templates(): UserTemplate[] {
    return (this.sdb.prepare('SELECT * FROM templates ORDER BY name').all() as TemplateRow[]).map(toTemplate);
  }

  createTemplate(input: { name: string; services?: Partial<ServiceSet>; optionSettings?: string | null }, opts: { applyOptionSettings?: boolean } = {}): UserTemplate {
    if (!NAME.test(input.name)) throw new BadRequest('E_TEMPLATE_NAME', `template name ${JSON.stringify(input.name)} must be 1-32 letters, digits, '.', '_' or '-'`);
    if (this.template(input.name)) throw new BadRequest('E_TEMPLATE_EXISTS', `user template ${input.name} already exists`);
    const applied = opts.applyOptionSettings ?? true;
    this.sdb.write({ service: 'directory', operation: 'template-create', object: input.name }, () => {
      this.sdb.prepare('INSERT INTO templates (name, services, option_settings, option_settings_applied, updated_at) VALUES (?, ?, ?, ?, ?)').run(
        input.name, JSON.stringify({ ...ALL_SERVICES, ...(input.services ?? {}) }), applied ? (input.optionSettings ?? null) : null, applied ? 1 : 0,
        this.sdb.now());
    });
    return this.template(input.name)!;
  }

  updateTemplate(name: string, patch: { services?: Partial<ServiceSet>; optionSettings?: string | null }, opts: { applyOptionSettings?: boolean } = {}): UserTemplate {
    const current = this.template(name);
    if (!current) throw new NotFound('E_NO_TEMPLATE', `no user template ${name}`);
    const applied = opts.applyOptionSettings ?? true;
    const services = { ...current.services, ...(patch.services ?? {}) };
    const optionSettings = applied ? (patch.optionSettings !== undefined ? patch.optionSettings : current.optionSettings) : current.optionSettings;
    this.sdb.write({ service: 'directory', operation: 'template-update', object: current.name }, () => {
      this.sdb.prepare('UPDATE templates SET services = ?, option_settings = ?, option_settings_applied = ?, updated_at = ? WHERE name = ?').run(
        JSON.stringify(services), optionSettings, applied ? 1 : 0, this.sdb.now(), current.name);
    });
    return this.template(name)!;
  }
}
