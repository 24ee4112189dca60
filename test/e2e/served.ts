// The built package, started the way a user starts it:
//   node dist/emulator/twemu.js serve --port-base 0 --data DIR
// The test learns where everything is from what the process says (`twemu ready <path>`) and
// from that endpoints.json, as a user's script would; nothing is imported from the sources.
import { readFileSync } from 'node:fs';
import { CLI, controlApi, startServeProcess, stopProcess, tempDir } from '../helpers.js';

export interface ServedEndpoints {
  control: string;
  /** The site CA's certificate file (absent with tls: off). */
  ca?: string;
  servers: Array<{ name: string; role: string; pop3?: number; imap?: number; web?: string; ame?: string }>;
}

export interface Served {
  dir: string;
  endpoints: ServedEndpoints;
  token: string;
  output(): string;
  /** Calls the control API with the admin token. */
  api<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

/** Starts `node dist/emulator/twemu.js serve` on ephemeral ports in a fresh data directory. */
export async function serveBuilt(opts: { args?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<Served> {
  const dir = tempDir('twemu-e2e-');
  let proc: Awaited<ReturnType<typeof startServeProcess>>;
  try {
    proc = await startServeProcess(['--port-base', '0', '--data', dir.path, ...(opts.args ?? [])], { env: opts.env, timeoutMs: 30_000 });
  } catch (err) {
    dir.remove();
    throw err;
  }
  const stop = async () => {
    await stopProcess(proc.child, 'SIGTERM');
    dir.remove();
  };
  try {
    const ready = /^twemu ready (.+)$/m.exec(proc.output());
    if (!ready) throw new Error(`no "twemu ready <path>" line from ${CLI}:\n${proc.output()}`);
    const endpoints = JSON.parse(readFileSync(ready[1]!.trim(), 'utf8')) as ServedEndpoints;
    const token = readFileSync(`${dir.path}/admin-token`, 'utf8').trim();
    return {
      dir: dir.path, endpoints, token, output: proc.output, stop,
      api: (method, path, body) => controlApi<never>(endpoints.control, token, method, path, body),
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
