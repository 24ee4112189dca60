import { TwemuError } from '../../emulator/errors.js';

/** Options of the SMTP submission service (`services.smtp` in the config file). */
export interface SmtpOptions {
  /** Largest message accepted (SIZE, RFC 1870), bytes; larger ones get 552 5.3.4. */
  maxMessageSize: number;
  /** Simultaneous connections per server; more get 421. */
  maxConnections: number;
}

export const SMTP_DEFAULTS: SmtpOptions = { maxMessageSize: 25 * 1024 * 1024, maxConnections: 1000 };

/** Reads `site.config.services.smtp`; every mistake is one clear error. */
export function smtpOptions(raw: Record<string, unknown> | undefined): SmtpOptions {
  const out: SmtpOptions = { ...SMTP_DEFAULTS };
  if (raw === undefined || raw === null) return out;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new TwemuError('E_CONFIG', 'services.smtp must be a mapping of options');
  for (const [key, value] of Object.entries(raw)) {
    if (!(key in SMTP_DEFAULTS)) throw new TwemuError('E_CONFIG', `services.smtp: unknown option "${key}" (known: ${Object.keys(SMTP_DEFAULTS).join(', ')})`);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new TwemuError('E_CONFIG', `services.smtp.${key} must be a positive integer`);
    out[key as keyof SmtpOptions] = value;
  }
  return out;
}
