import { createRequire } from 'node:module';
import type libmimeType from 'libmime';
import type { Splitter as SplitterType } from '@zone-eu/mailsplit';
import type addressparserType from 'nodemailer/lib/addressparser';

// The MIME libraries are loaded on first use (the first FETCH, SEARCH or
// ENVELOPE), not when a site starts: together with iconv-lite and its tables
// they cost a site's start-up a noticeable part of its time.

const require = createRequire(import.meta.url);
let loaded: { libmime: typeof libmimeType; Splitter: typeof SplitterType; addressparser: typeof addressparserType } | undefined;
function libs() {
  return (loaded ??= {
    libmime: require('libmime') as typeof libmimeType,
    Splitter: (require('@zone-eu/mailsplit') as { Splitter: typeof SplitterType }).Splitter,
    addressparser: require('nodemailer/lib/addressparser') as typeof addressparserType,
  });
}

/**
 * Loads them now if they are not yet: called (on the next turn of the event loop) when an
 * IMAP client logs in, so that its first FETCH does not wait for them.
 */
export function preloadMimeLibs(): void {
  if (!loaded) setImmediate(libs);
}

const bound = new Map<string | symbol, unknown>();
export const libmime = new Proxy({} as typeof libmimeType, {
  get(_target, key) {
    const hit = bound.get(key);
    if (hit !== undefined) return hit;
    const real = libs().libmime as unknown as Record<string | symbol, unknown>;
    const value = real[key];
    const out = typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(real) : value;
    bound.set(key, out);
    return out;
  },
});

export const Splitter = function LazySplitter(this: unknown, ...args: unknown[]) {
  const Real = libs().Splitter as unknown as new (...a: unknown[]) => object;
  return new Real(...args);
} as unknown as typeof SplitterType;

export const addressparser = ((...args: Parameters<typeof addressparserType>) => libs().addressparser(...args)) as typeof addressparserType;
