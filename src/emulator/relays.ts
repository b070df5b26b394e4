/**
 * Relay sessions: pending until completed by the widget, hosted page, control API or
 * `--auto-complete`; a pending relay expires 30 minutes after creation; completed relays stay readable.
 */
import type { KeyObject } from 'node:crypto';
import type { Environment } from './options.js';

/** How long a relay session (and its access token) lives. */
export const RELAY_SESSION_MS = 30 * 60 * 1000;

export type ClaimResult = 'passed' | 'failed';

/** One entry of a claim's `methodology`. */
export interface MethodologyEntry {
  method: string;
  result: ClaimResult;
}

/** A relay as the emulator stores it. */
export interface Relay {
  readonly token: string;
  readonly secret: string;
  readonly accessToken: string;
  readonly claimType: string;
  readonly environment: Environment;
  /** Emulator time of creation, epoch ms. */
  readonly createdAt: number;
  /** The relay's `encryption-key-pem`; `undefined` = plaintext payloads. */
  readonly encryptionKey: KeyObject | undefined;
  /** `undefined` while pending. */
  outcome: ClaimResult | undefined;
  methodology: MethodologyEntry[];
}

export type RelayStatus = 'pending' | 'expired' | 'completed';

/** Where a relay stands at `now`: only a pending relay expires. */
export function relayStatus(relay: Relay, now: number): RelayStatus {
  if (relay.outcome !== undefined) return 'completed';
  return now >= relay.createdAt + RELAY_SESSION_MS ? 'expired' : 'pending';
}

/** The relays of the current run, found by relay token (API) or access token (widget, hosted page). */
export class RelayRegistry {
  private readonly byToken = new Map<string, Relay>();
  private readonly byAccess = new Map<string, Relay>();

  add(relay: Relay): void {
    this.byToken.set(relay.token, relay);
    this.byAccess.set(relay.accessToken, relay);
  }

  findByToken(token: string): Relay | undefined {
    return this.byToken.get(token);
  }

  findByAccessToken(accessToken: string): Relay | undefined {
    return this.byAccess.get(accessToken);
  }

  /** Relays created since start or reset. */
  get size(): number {
    return this.byToken.size;
  }

  /** Relays currently completed (sandbox and auto-completed ones included). */
  completedCount(): number {
    let count = 0;
    for (const relay of this.byToken.values()) if (relay.outcome !== undefined) count++;
    return count;
  }

  clear(): void {
    this.byToken.clear();
    this.byAccess.clear();
  }
}
