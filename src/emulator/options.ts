/**
 * Emulator options: the in-process shape, their defaults and their validation. The CLI (`cli-main.ts`) turns
 * flags into these same options, so both entry points share one set of rules.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';

/** How the blind-signing keys and the claim namespaces are split. */
export type Environment = 'production' | 'sandbox';

/** OAEP hash (MGF1 uses the same) for encrypted claim payloads. */
export type OaepHash = 'sha256' | 'sha1';

/** `off`: production relays wait for the widget, hosted page or control API; otherwise they complete at creation. */
export type AutoComplete = 'off' | 'passed' | 'failed';

/**
 * Options of {@link startEmulator}; they mirror the CLI flags and share their defaults, except `port`.
 */
export interface EmulatorOptions {
  /** Listen address. Default `127.0.0.1`. */
  host?: string;
  /** Listen port; `0` picks a free one. Default `0` (the CLI's default is `8787`). */
  port?: number;
  /**
   * Accepted API keys; prefix `persona_sandbox_` = sandbox, else production.
   * Default `['persona_sandbox_emulator']`.
   */
  apiKeys?: string[];
  /**
   * PEM RSA private key (PKCS#8 expected; 2048–4096 bits) used as the blind-signing key of every (environment,
   * claim type). It also fixes the challenge MAC key, so tests can mint challenges offline.
   * Default: a fresh RSA-2048 key per pair and a random MAC key.
   */
  signingKeyPem?: string;
  /** `1h` (default) = `ceil_to_hour(now + 1 h)`; any other `<integer>s|m|h|d` = now + T rounded up to the second. */
  challengeTtl?: string;
  /** Default `sha256`. */
  oaepHash?: OaepHash;
  /** Default `off`. Sandbox relays always complete `passed` at creation. */
  autoComplete?: AutoComplete;
  /** Privacy-passes requests per minute per environment; `0` turns the limit off. Default `300`. */
  rateLimit?: number;
  /** Receives one line per handled request and internal errors. Without it the emulator prints nothing. */
  logger?: (message: string) => void;
}

/** A challenge lifetime rule parsed from `--challenge-ttl`. */
export type ChallengeTtl = { kind: 'next-hour' } | { kind: 'fixed'; seconds: number };

/** Options after defaults and validation. */
export interface ResolvedOptions {
  host: string;
  port: number;
  apiKeys: readonly string[];
  signingKey: KeyObject | undefined;
  challengeTtl: ChallengeTtl;
  oaepHash: OaepHash;
  autoComplete: AutoComplete;
  rateLimit: number;
  logger: ((message: string) => void) | undefined;
}

/** Defaults shared by the CLI and {@link startEmulator} (the CLI overrides `port` with 8787). */
const DEFAULT_OPTIONS = {
  host: '127.0.0.1',
  port: 0,
  apiKeys: ['persona_sandbox_emulator'],
  challengeTtl: '1h',
  oaepHash: 'sha256',
  autoComplete: 'off',
  rateLimit: 300,
} as const;

const TTL_UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** Parses a `--challenge-ttl` value; `undefined` when it is not `<positive integer>s|m|h|d`. */
export function parseChallengeTtl(text: string): ChallengeTtl | undefined {
  if (text === '1h') return { kind: 'next-hour' };
  const match = /^([0-9]+)([smhd])$/.exec(text);
  if (!match) return undefined;
  const seconds = Number(match[1]) * TTL_UNIT_SECONDS[match[2] as keyof typeof TTL_UNIT_SECONDS];
  return Number.isSafeInteger(seconds) && seconds > 0 ? { kind: 'fixed', seconds } : undefined;
}

/** The environment an API key belongs to. */
export function environmentOfApiKey(apiKey: string): Environment {
  return apiKey.startsWith('persona_sandbox_') ? 'sandbox' : 'production';
}

/**
 * Applies defaults and validates. Throws one `TypeError` naming every problem, so a caller fixes them at once.
 */
export function resolveOptions(options: EmulatorOptions = {}): ResolvedOptions {
  const problems: string[] = [];
  const host = options.host ?? DEFAULT_OPTIONS.host;
  if (typeof host !== 'string' || host.length === 0) problems.push('host must be a non-empty string');

  const port = options.port ?? DEFAULT_OPTIONS.port;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) problems.push('port must be an integer 0-65535');

  const apiKeys = options.apiKeys ?? [...DEFAULT_OPTIONS.apiKeys];
  if (!Array.isArray(apiKeys) || apiKeys.length === 0) {
    problems.push('apiKeys must be a non-empty array');
  } else if (!apiKeys.every((key) => typeof key === 'string' && /^\S+$/.test(key))) {
    problems.push('every API key must be a non-empty string without whitespace');
  }

  const challengeTtl = parseChallengeTtl(options.challengeTtl ?? DEFAULT_OPTIONS.challengeTtl);
  if (!challengeTtl) problems.push('challengeTtl must be 1h or <positive integer>s|m|h|d');

  const oaepHash = options.oaepHash ?? DEFAULT_OPTIONS.oaepHash;
  if (oaepHash !== 'sha256' && oaepHash !== 'sha1') problems.push('oaepHash must be sha256 or sha1');

  const autoComplete = options.autoComplete ?? DEFAULT_OPTIONS.autoComplete;
  if (!['off', 'passed', 'failed'].includes(autoComplete)) problems.push('autoComplete must be off, passed or failed');

  const rateLimit = options.rateLimit ?? DEFAULT_OPTIONS.rateLimit;
  if (!Number.isSafeInteger(rateLimit) || rateLimit < 0) problems.push('rateLimit must be a non-negative integer');

  let signingKey: KeyObject | undefined;
  if (options.signingKeyPem !== undefined) {
    signingKey = readSigningKey(options.signingKeyPem);
    if (!signingKey) problems.push('signingKeyPem must be a PEM RSA private key of 2048-4096 bits');
  }

  if (options.logger !== undefined && typeof options.logger !== 'function') problems.push('logger must be a function');

  if (problems.length > 0 || !challengeTtl) throw new TypeError(`Invalid emulator options: ${problems.join('; ')}`);
  return {
    host,
    port,
    apiKeys: [...new Set(apiKeys)],
    signingKey,
    challengeTtl,
    oaepHash,
    autoComplete,
    rateLimit,
    logger: options.logger,
  };
}

function readSigningKey(pem: string): KeyObject | undefined {
  if (typeof pem !== 'string' || !pem.includes('-----BEGIN')) return undefined;
  try {
    const key = createPrivateKey({ key: pem, format: 'pem' });
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    return key.asymmetricKeyType === 'rsa' && bits >= 2048 && bits <= 4096 ? key : undefined;
  } catch {
    return undefined;
  }
}
