/**
 * `persona-relay/emulator`: a local stand-in for Persona's Relay API, for tests and development.
 * It shares no code with the client library.
 */
import type { AddressInfo } from 'node:net';
import { createContext } from './context.js';
import { resolveOptions, type EmulatorOptions } from './options.js';
import { createEmulatorServer } from './server.js';
import { prepareSessionTokenKey } from './session-token.js';

export type { AutoComplete, EmulatorOptions, OaepHash } from './options.js';
export type { RequestLogEntry } from './request-log.js';
export type { StateCounters } from './state.js';

/** A started emulator. */
export interface RunningEmulator {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234` (IPv6 hosts in brackets). */
  readonly url: string;
  /** The address it listens on. */
  readonly host: string;
  /** The actual port (useful with `port: 0`). */
  readonly port: number;
  /** Stops listening and destroys open connections; later calls return the same promise. */
  close(): Promise<void>;
}

/**
 * Starts an emulator in this process. Options mirror the CLI flags; `port` defaults to `0` (a free port). Throws a
 * `TypeError` naming every invalid option, or the listen error (e.g. `EADDRINUSE`).
 *
 * @example
 * ```ts
 * import { startEmulator } from 'persona-relay/emulator';
 *
 * const emulator = await startEmulator({ apiKeys: ['persona_sandbox_test'], rateLimit: 0 });
 * const response = await fetch(`${emulator.url}/api/privacy/v1/relays`, {
 *   method: 'POST',
 *   headers: { 'Content-Type': 'application/json' },
 *   body: JSON.stringify({ 'claim-type': 'age_over18_germany', 'encryption-key-pem': null, sandbox: true }),
 * });
 * await emulator.close();
 * ```
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const resolved = resolveOptions(options);
  // Warm-up only: a failure surfaces on the first relay creation, which awaits the same promise.
  prepareSessionTokenKey().catch(() => undefined);
  const emulator = createEmulatorServer(createContext(resolved));
  await new Promise<void>((resolve, reject) => {
    emulator.server.once('error', reject);
    emulator.server.listen(resolved.port, resolved.host, () => {
      emulator.server.off('error', reject);
      resolve();
    });
  });
  const { address: host, port } = emulator.server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    host,
    port,
    close: () => (closing ??= emulator.close()),
  };
}
