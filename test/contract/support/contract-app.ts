/**
 * What the contract suite needs from an app under test, whatever its
 * framework. Every app starter builds the same small app:
 *
 * - an authentication stand-in: header `x-test-user: <id>` sets `req.user = { id }`
 *   (in front of the relay routes, as Passport would be);
 * - the relay routes at `/relay`;
 * - `GET /restricted`, guarded by a passed `age_over18_verified` claim, answering
 *   `{ ok: true, claim }` with the claim the guard exposed to the handler;
 * - two routes of the app itself below the relay prefix: `GET /relay/app-owned`
 *   → `{ owner: 'app' }` and `POST /relay/app-echo` → `{ owner: 'app', body }`
 *   (the app parses that JSON body itself, so it must reach the app unread);
 * - the framework's own 404 for everything else.
 */
import type { RelayOptions } from '../../../src/core/config/index.js';
import type { RelayStorage } from '../../../src/core/storage/index.js';

/** The claim type the guarded route requires (the configured default). */
export const GUARDED_CLAIM = 'age_over18_verified';

/** Header the authentication stand-in reads. */
export const TEST_USER_HEADER = 'x-test-user';

/** What a starter gets: core options (emulator URL, keys, …) and the storage to use. */
export interface ContractAppConfig {
  readonly relayOptions: RelayOptions;
  readonly storage: RelayStorage;
}

/** A running app. */
export interface ContractApp {
  /** Base URL, no trailing slash. */
  readonly url: string;
  /** Stops the server and whatever the starter created (services, Nest app). */
  close(): Promise<void>;
}

export type StartContractApp = (config: ContractAppConfig) => Promise<ContractApp>;

/** `req.user` from the test header, as an authentication middleware would set it. */
export function testUser(headers: Record<string, string | string[] | undefined>): { id: string } | undefined {
  const id = headers[TEST_USER_HEADER];
  return typeof id === 'string' && id.length > 0 ? { id } : undefined;
}
