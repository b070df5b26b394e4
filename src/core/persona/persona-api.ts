/**
 * The client for Persona's Relay endpoints (protocol §3).
 *
 * Issuance (`createPrivacyPass`) goes over the identified transport; everything else over
 * the anonymous one (design §4 rule 1). Each call is retried per protocol §7.4 with the
 * same body and, where there is one, the same `Idempotency-Key`.
 */
import http from 'node:http';
import type { AxiosInstance } from 'axios';
import { RelayError, RelayErrorCode } from '../errors.js';
import {
  requireBooleanArgument,
  requireHeaderText,
  requireHeaderValue,
  requireNumber,
  requireText,
  requireToken68,
} from './argument-checks.js';
import { personaApiErrorFromResponse, requestIdOf } from './error-response.js';
import type { PersonaOperation } from './persona-error.js';
import { parseJsonObject, requireBoolean, requireCredential, requireString, type JsonObject } from './response-body.js';
import {
  DEFAULT_RETRY_POLICY,
  abortableSleep,
  runWithRetries,
  type AttemptEvent,
  type RetryEnvironment,
  type RetryPolicy,
  type Sleep,
} from './retry.js';
import {
  createPersonaTransports,
  postJson,
  type PersonaHttpRequest,
  type PersonaHttpResponse,
  type PersonaTransports,
} from './transports.js';

/**
 * Configuration of {@link PersonaApi}. Durations are milliseconds; defaults follow protocol §7.4.
 *
 * @example
 * ```ts
 * const options: PersonaApiOptions = {
 *   baseUrl: 'https://api.withpersona.com',
 *   apiKey: process.env.PERSONA_API_KEY,
 *   onAttempt: (event) => logger.debug(event),
 * };
 * ```
 */
export interface PersonaApiOptions {
  /** Persona's base URL (`https://api.withpersona.com`, or the emulator's). */
  readonly baseUrl: string;
  /** API key for `createPrivacyPass`, the only identified call. */
  readonly apiKey?: string;
  /** Per-attempt timeout (default 10 000). */
  readonly requestTimeoutMs?: number;
  /** Retries after the first attempt (default 3). */
  readonly maxRetries?: number;
  /** Backoff base (default 200). */
  readonly retryBaseDelayMs?: number;
  /** Backoff ceiling (default 5 000). */
  readonly retryMaxDelayMs?: number;
  /** Cap on the wait a 429's `RateLimit-Reset` imposes (default 60 000). */
  readonly rateLimitMaxWaitMs?: number;
  /** How long after the first attempt a 403 on generate-claim is still retried (default 10 000). */
  readonly forbiddenRetryBudgetMs?: number;
  /** `User-Agent` of anonymous calls (default `node`). */
  readonly anonymousUserAgent?: string;
  /** Agent for anonymous calls (e.g. a proxy agent); stays the caller's to destroy. */
  readonly anonymousAgent?: http.Agent;
  /** `Persona-Version` header; not sent unless set. */
  readonly personaVersion?: string;
  /** Wait between attempts (tests inject a fake). */
  readonly sleep?: Sleep;
  /** Uniform [0, 1) source for jitter (tests inject a fixed one). */
  readonly random?: () => number;
  /** Clock for the 403 retry budget (tests inject a fake). */
  readonly now?: () => number;
  /** Called after every attempt; receives no secret. */
  readonly onAttempt?: (event: AttemptEvent) => void;
}

/**
 * Cancellation of a call: aborts the attempt in flight and any wait between attempts.
 *
 * @example
 * ```ts
 * await api.requestChallenge(input, { signal: AbortSignal.timeout(30_000) });
 * ```
 */
export interface PersonaCallOptions {
  readonly signal?: AbortSignal;
}

/**
 * Options of the idempotent calls. Reuse the key for the same logical operation (a retry
 * after a crash included); never for another one.
 *
 * @example
 * ```ts
 * const options: IdempotentCallOptions = { idempotencyKey: crypto.randomUUID() };
 * ```
 */
export interface IdempotentCallOptions extends PersonaCallOptions {
  readonly idempotencyKey: string;
}

/**
 * Input of {@link PersonaApi.createRelay}.
 *
 * @example
 * ```ts
 * const input: CreateRelayInput = { claimType: 'age_over18_germany', encryptionKeyPem: null, sandbox: true };
 * ```
 */
export interface CreateRelayInput {
  readonly claimType: string;
  /** SPKI PEM of the key claims are encrypted to, or `null` for plaintext claims. Always sent. */
  readonly encryptionKeyPem: string | null;
  readonly sandbox: boolean;
}

/**
 * A new relay. Keep `relayToken` and `relaySecret` on the server (encrypted); only
 * `accessToken` goes to the browser.
 *
 * @example
 * ```ts
 * const { relayToken, relaySecret, accessToken }: CreatedRelay = await api.createRelay(input);
 * ```
 */
export interface CreatedRelay {
  readonly relayToken: string;
  readonly relaySecret: string;
  /** `relay-session-access-token`: the browser's 30-minute JWT. */
  readonly accessToken: string;
}

/**
 * Input of {@link PersonaApi.requestChallenge}.
 *
 * @example
 * ```ts
 * const input: RequestChallengeInput = { claimType: 'age_over18_germany', sandbox: false };
 * ```
 */
export interface RequestChallengeInput {
  readonly claimType: string;
  readonly sandbox: boolean;
}

/**
 * Challenge material for building a Privacy Pass (protocol §4).
 *
 * @example
 * ```ts
 * const { challenge, tokenKey, tokenKeyId }: RelayChallenge = await api.requestChallenge(input);
 * ```
 */
export interface RelayChallenge {
  /** b64url of the challenge JSON. */
  readonly challenge: string;
  /** b64url of the DER SubjectPublicKeyInfo of the blind-signing key. */
  readonly tokenKey: string;
  /** Opaque key id, used verbatim. */
  readonly tokenKeyId: string;
}

/**
 * A relay to probe, or to redeem with a token.
 *
 * @example
 * ```ts
 * const relay: RelayReference = { relayToken: 'relay_abc', relaySecret: secret };
 * ```
 */
export interface RelayReference {
  readonly relayToken: string;
  readonly relaySecret: string;
}

/**
 * What the 401 probe saw. `wwwAuthenticate` is the raw header of a 401 (several fields
 * joined with `", "`), left for the challenge parser.
 *
 * @example
 * ```ts
 * const probe: ProbeChallengeResult = { status: 401, wwwAuthenticate: 'PrivateToken challenge="…"' };
 * ```
 */
export interface ProbeChallengeResult {
  readonly status: number;
  readonly wwwAuthenticate?: string;
  readonly requestId?: string;
}

/**
 * Input of {@link PersonaApi.createPrivacyPass}.
 *
 * @example
 * ```ts
 * const input: CreatePrivacyPassInput = { blindedToken: b64url(blindedMsg), keyId: tokenKeyId };
 * ```
 */
export interface CreatePrivacyPassInput {
  /** b64url of the blinded message. */
  readonly blindedToken: string;
  /** The `token-key-id` the token was blinded against, verbatim. */
  readonly keyId: string;
}

/**
 * Persona's blind signature.
 *
 * @example
 * ```ts
 * const { blindSig }: BlindSignature = await api.createPrivacyPass(input, { idempotencyKey });
 * ```
 */
export interface BlindSignature {
  /** b64url of the raw RSA blind signature. */
  readonly blindSig: string;
}

/**
 * Input of {@link PersonaApi.generateClaim}.
 *
 * @example
 * ```ts
 * const input: GenerateClaimInput = { relayToken, relaySecret, token: privacyPass };
 * ```
 */
export interface GenerateClaimInput extends RelayReference {
  /** The Privacy Pass token (b64url), sent unquoted as `PrivateToken token=…`. */
  readonly token: string;
}

/**
 * A claim read from a relay.
 *
 * @example
 * ```ts
 * const { claimPayload, tokenConsumed }: GeneratedClaim = await api.generateClaim(input, { idempotencyKey });
 * ```
 */
export interface GeneratedClaim {
  /** JSON text (plaintext relay) or base64 RSA-OAEP ciphertext (relay with a key). */
  readonly claimPayload: string;
  /** `true`: the pass is spent; `false`: the claim did not pass and the pass was refunded. */
  readonly tokenConsumed: boolean;
  readonly requestId?: string;
}

const PATHS = {
  relays: '/api/privacy/v1/relays',
  challenge: '/api/privacy/v1/relays/challenge',
  privacyPasses: '/api/v1/privacy-passes',
  generateClaim: (relayToken: string) =>
    `/api/privacy/v1/relays/${encodeURIComponent(relayToken)}/generate-claim`,
} as const;

/** generate-claim and the probe send an empty object (protocol §3.3, §3.5). */
const EMPTY_BODY = '{}';

/**
 * Persona's Relay API over two transports, with retries and secret-free errors.
 *
 * Non-2xx answers throw {@link PersonaApiError}; connection failures and timeouts
 * `RelayError(PERSONA_TRANSPORT)`; undecodable 2xx bodies `RelayError(PERSONA_PROTOCOL)`;
 * cancellation `RelayError(ABORTED)`. Invalid arguments throw `TypeError`.
 *
 * @example
 * ```ts
 * const api = new PersonaApi({ baseUrl: 'https://api.withpersona.com', apiKey });
 * const relay = await api.createRelay({ claimType: 'age_over18_germany', encryptionKeyPem: pem, sandbox: false });
 * const probe = await api.probeChallenge(relay);
 * // … build and blind the token input from probe.wwwAuthenticate …
 * const { blindSig } = await api.createPrivacyPass({ blindedToken, keyId }, { idempotencyKey: randomUUID() });
 * // … finalize into a Privacy Pass; after the user verified:
 * const claim = await api.generateClaim({ ...relay, token }, { idempotencyKey: redemptionKey });
 * api.close();
 * ```
 */
export class PersonaApi {
  readonly #transports: PersonaTransports;
  readonly #apiKey: string | undefined;
  readonly #policy: RetryPolicy;
  readonly #environment: RetryEnvironment;
  #closed = false;

  constructor(options: PersonaApiOptions) {
    checkOptions(options);
    this.#apiKey = options.apiKey;
    this.#policy = {
      maxRetries: options.maxRetries ?? DEFAULT_RETRY_POLICY.maxRetries,
      baseDelayMs: options.retryBaseDelayMs ?? DEFAULT_RETRY_POLICY.baseDelayMs,
      maxDelayMs: options.retryMaxDelayMs ?? DEFAULT_RETRY_POLICY.maxDelayMs,
      rateLimitMaxWaitMs: options.rateLimitMaxWaitMs ?? DEFAULT_RETRY_POLICY.rateLimitMaxWaitMs,
      forbiddenRetryBudgetMs: options.forbiddenRetryBudgetMs ?? DEFAULT_RETRY_POLICY.forbiddenRetryBudgetMs,
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_RETRY_POLICY.requestTimeoutMs,
    };
    this.#environment = {
      sleep: options.sleep ?? abortableSleep,
      random: options.random ?? Math.random,
      now: options.now ?? Date.now,
      ...(options.onAttempt === undefined ? {} : { onAttempt: options.onAttempt }),
    };
    this.#transports = createPersonaTransports({
      baseUrl: options.baseUrl,
      ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }),
      ...(options.anonymousUserAgent === undefined ? {} : { anonymousUserAgent: options.anonymousUserAgent }),
      ...(options.anonymousAgent === undefined ? {} : { anonymousAgent: options.anonymousAgent }),
      ...(options.personaVersion === undefined ? {} : { personaVersion: options.personaVersion }),
    });
  }

  /**
   * Creates a relay (`POST /api/privacy/v1/relays`, anonymous). `encryption-key-pem` is
   * always sent (`null` for plaintext claims); `sandbox: true` only in sandbox.
   *
   * @example
   * ```ts
   * const relay = await api.createRelay({ claimType: 'age_over18_germany', encryptionKeyPem: null, sandbox: true });
   * ```
   */
  async createRelay(input: CreateRelayInput, options: PersonaCallOptions = {}): Promise<CreatedRelay> {
    requireText(input?.claimType, 'claimType');
    if (input.encryptionKeyPem !== null) requireText(input.encryptionKeyPem, 'encryptionKeyPem');
    requireBooleanArgument(input.sandbox, 'sandbox');
    const operation = 'create-relay';
    const body = JSON.stringify({
      'claim-type': input.claimType,
      'encryption-key-pem': input.encryptionKeyPem,
      ...(input.sandbox ? { sandbox: true } : {}),
    });
    return this.#call(operation, this.#transports.anonymous, { path: PATHS.relays, body }, options, (response) => {
      const origin = { operation, status: response.status } as const;
      const answer = this.#successBody(operation, response, []);
      return {
        relayToken: requireCredential(answer, 'relay-token', origin),
        relaySecret: requireCredential(answer, 'relay-secret', origin),
        accessToken: requireCredential(answer, 'relay-session-access-token', origin),
      };
    });
  }

  /**
   * Requests challenge material for a claim type (`POST /api/privacy/v1/relays/challenge`,
   * anonymous); `sandbox: true` only in sandbox.
   *
   * @example
   * ```ts
   * const { challenge, tokenKey, tokenKeyId } = await api.requestChallenge({ claimType, sandbox: false });
   * ```
   */
  async requestChallenge(
    input: RequestChallengeInput,
    options: PersonaCallOptions = {},
  ): Promise<RelayChallenge> {
    requireText(input?.claimType, 'claimType');
    requireBooleanArgument(input.sandbox, 'sandbox');
    const operation = 'request-challenge';
    const body = JSON.stringify({ 'claim-type': input.claimType, ...(input.sandbox ? { sandbox: true } : {}) });
    return this.#call(operation, this.#transports.anonymous, { path: PATHS.challenge, body }, options, (response) => {
      const origin = { operation, status: response.status } as const;
      const answer = this.#successBody(operation, response, []);
      return {
        challenge: requireString(answer, 'challenge', origin),
        tokenKey: requireString(answer, 'token-key', origin),
        tokenKeyId: requireString(answer, 'token-key-id', origin),
      };
    });
  }

  /**
   * Asks a relay for its challenge (protocol §3.3): generate-claim without a token, over
   * the anonymous transport, with no `Idempotency-Key`. Every HTTP answer is returned, not
   * thrown; only transport failures are retried (the probe is harmless to repeat).
   * `wwwAuthenticate` is set for a 401 that carries the header.
   *
   * @example
   * ```ts
   * const probe = await api.probeChallenge({ relayToken, relaySecret });
   * if (probe.status === 401 && probe.wwwAuthenticate !== undefined) parseChallenge(probe.wwwAuthenticate);
   * ```
   */
  async probeChallenge(
    relay: RelayReference,
    options: PersonaCallOptions = {},
  ): Promise<ProbeChallengeResult> {
    requireText(relay?.relayToken, 'relayToken');
    requireHeaderValue(relay.relaySecret, 'relaySecret');
    const request: PersonaHttpRequest = {
      path: PATHS.generateClaim(relay.relayToken),
      body: EMPTY_BODY,
      headers: { 'Persona-Relay-Secret': relay.relaySecret },
    };
    return this.#call('probe-challenge', this.#transports.anonymous, request, options, (response) => {
      const requestId = requestIdOf(response.headers);
      const wwwAuthenticate = response.headers['www-authenticate'];
      return {
        status: response.status,
        ...(response.status === 401 && wwwAuthenticate !== undefined ? { wwwAuthenticate } : {}),
        ...(requestId === undefined ? {} : { requestId }),
      };
    });
  }

  /**
   * Has Persona blind-sign a token (`POST /api/v1/privacy-passes`), the only **identified**
   * call: `Authorization: Bearer <apiKey>`, never a relay secret or relay token. Retries
   * resend the identical body with the same `Idempotency-Key`, so a lost answer is not
   * billed twice.
   *
   * @throws TypeError when no `apiKey` is configured.
   * @example
   * ```ts
   * const { blindSig } = await api.createPrivacyPass(
   *   { blindedToken: b64url(blindedMsg), keyId: tokenKeyId },
   *   { idempotencyKey: randomUUID() },
   * );
   * ```
   */
  async createPrivacyPass(
    input: CreatePrivacyPassInput,
    options: IdempotentCallOptions,
  ): Promise<BlindSignature> {
    const identified = this.#transports.identified;
    if (identified === undefined) {
      throw new TypeError('createPrivacyPass needs an apiKey in the PersonaApi options');
    }
    requireText(input?.blindedToken, 'blindedToken');
    requireText(input.keyId, 'keyId');
    requireHeaderValue(options?.idempotencyKey, 'idempotencyKey');
    const operation = 'create-privacy-pass';
    const request: PersonaHttpRequest = {
      path: PATHS.privacyPasses,
      body: JSON.stringify({ 'blinded-token': input.blindedToken, 'key-id': input.keyId }),
      headers: { 'Idempotency-Key': options.idempotencyKey },
    };
    const secrets = [input.blindedToken];
    return this.#call(operation, identified, request, options, (response) => {
      const answer = this.#successBody(operation, response, secrets);
      return { blindSig: requireString(answer, 'blind-sig', { operation, status: response.status }) };
    });
  }

  /**
   * Redeems a Privacy Pass for the relay's claim
   * (`POST /api/privacy/v1/relays/{relay-token}/generate-claim`, anonymous) with
   * `Authorization: PrivateToken token=<token>` (unquoted), `Persona-Relay-Secret` and
   * `Idempotency-Key`. Every retry sends the same key, token, secret and body `{}`.
   *
   * Use {@link isAmbiguousFailure} on a failure to know whether the key must be kept.
   *
   * @example
   * ```ts
   * const claim = await api.generateClaim({ relayToken, relaySecret, token }, { idempotencyKey });
   * if (!claim.tokenConsumed) returnPassToPool();
   * ```
   */
  async generateClaim(input: GenerateClaimInput, options: IdempotentCallOptions): Promise<GeneratedClaim> {
    requireText(input?.relayToken, 'relayToken');
    requireHeaderValue(input.relaySecret, 'relaySecret');
    requireToken68(input.token, 'token');
    requireHeaderValue(options?.idempotencyKey, 'idempotencyKey');
    const operation = 'generate-claim';
    const request: PersonaHttpRequest = {
      path: PATHS.generateClaim(input.relayToken),
      body: EMPTY_BODY,
      headers: {
        Authorization: `PrivateToken token=${input.token}`,
        'Persona-Relay-Secret': input.relaySecret,
        'Idempotency-Key': options.idempotencyKey,
      },
    };
    const secrets = [input.relayToken, encodeURIComponent(input.relayToken), input.relaySecret, input.token];
    return this.#call(operation, this.#transports.anonymous, request, options, (response) => {
      const origin = { operation, status: response.status } as const;
      const answer = this.#successBody(operation, response, secrets);
      const requestId = requestIdOf(response.headers);
      return {
        claimPayload: requireString(answer, 'claim-payload', origin),
        tokenConsumed: requireBoolean(answer, 'token-consumed', origin),
        ...(requestId === undefined ? {} : { requestId }),
      };
    });
  }

  /**
   * Closes the client's keep-alive connections. Later calls throw `TypeError`; retries of
   * calls still running stop with `RelayError(ABORTED)`. A caller-supplied
   * `anonymousAgent` is left open.
   *
   * @example
   * ```ts
   * app.onShutdown(() => api.close());
   * ```
   */
  close(): void {
    this.#closed = true;
    this.#transports.close();
  }

  /** Runs one logical call with retries; the same `request` object is sent on every attempt. */
  async #call<T>(
    operation: PersonaOperation,
    transport: AxiosInstance,
    request: PersonaHttpRequest,
    options: PersonaCallOptions,
    interpret: (response: PersonaHttpResponse) => T,
  ): Promise<T> {
    if (this.#closed) throw new TypeError('PersonaApi is closed');
    const signal = options?.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new TypeError('signal must be an AbortSignal');
    }
    return runWithRetries(
      operation,
      async (attemptSignal) => {
        if (this.#closed) {
          throw new RelayError(RelayErrorCode.ABORTED, `Persona ${operation} was aborted: the client is closed`, {
            context: { operation },
          });
        }
        const response = await postJson(transport, operation, request, attemptSignal);
        return { status: response.status, value: interpret(response) };
      },
      this.#policy,
      this.#environment,
      signal,
    );
  }

  /** The decoded body of a 2xx answer, or the {@link PersonaApiError} for any other. */
  #successBody(operation: PersonaOperation, response: PersonaHttpResponse, secrets: readonly string[]): JsonObject {
    if (response.status < 200 || response.status > 299) {
      const known = this.#apiKey === undefined ? secrets : [this.#apiKey, ...secrets];
      throw personaApiErrorFromResponse(operation, response, known);
    }
    return parseJsonObject(operation, response.status, response.bodyText);
  }
}

function checkOptions(options: PersonaApiOptions): void {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  requireText(options.baseUrl, 'baseUrl');
  if (!URL.canParse(options.baseUrl) || !/^https?:$/.test(new URL(options.baseUrl).protocol)) {
    throw new TypeError('baseUrl must be an http(s) URL');
  }
  if (options.apiKey !== undefined) requireHeaderValue(options.apiKey, 'apiKey');
  if (options.anonymousUserAgent !== undefined) requireHeaderText(options.anonymousUserAgent, 'anonymousUserAgent');
  if (options.personaVersion !== undefined) requireHeaderText(options.personaVersion, 'personaVersion');
  if (options.anonymousAgent !== undefined && !(options.anonymousAgent instanceof http.Agent)) {
    throw new TypeError('anonymousAgent must be an http.Agent');
  }
  if (options.requestTimeoutMs !== undefined) requireNumber(options.requestTimeoutMs, 'requestTimeoutMs', { min: 1 });
  const durations = [
    'retryBaseDelayMs',
    'retryMaxDelayMs',
    'rateLimitMaxWaitMs',
    'forbiddenRetryBudgetMs',
  ] as const;
  for (const name of durations) {
    if (options[name] !== undefined) requireNumber(options[name], name, { min: 0 });
  }
  if (options.maxRetries !== undefined) requireNumber(options.maxRetries, 'maxRetries', { min: 0, integer: true });
  for (const name of ['sleep', 'random', 'now', 'onAttempt'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw new TypeError(`${name} must be a function`);
    }
  }
}
