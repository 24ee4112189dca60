/** What a step produced, in a shape every expectation can be checked against. */
export interface Outcome {
  /** The step succeeded in its own terms (+OK, OK, HTTP 2xx, rc 0, command done). */
  ok: boolean;
  /** The reply's first line (POP3/IMAP, without the IMAP tag), or a one-line summary. */
  reply?: string;
  /** Every line of the reply, as on the wire (raw sessions). */
  lines?: string[];
  /** The full text: reply lines, page, JSON; what `match`, `text` and `notText` look at. */
  body?: string;
  status?: number;
  rc?: number;
  dialog?: string[];
  json?: unknown;
  refused?: { code: string; message: string; rule?: string };
  warnings?: string[];
}

/** The body of a JSON-or-text HTTP answer. */
export function parseBody(text: string): unknown {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return text;
  }
}
