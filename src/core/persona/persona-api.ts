/**
 * The client for the endpoints of Persona's Relay protocol.
 *
 * Issuance (`requestChallenge`, `createPrivacyPass`) goes over the identified transport;
 * everything about a user's relay (creation, the 401 probe, redemption) over the anonymous
 * one, so Persona cannot link the two. Each call runs in the one retry loop with the same
 * body and, where there is one, the same `Idempotency-Key`.
 */
import http from 'node:http';
import { RelayError, RelayErrorCode } from '../errors.js';
import type { ChallengeMaterial } from '../protocol/index.js';
import { createPersonaTransports } from './axios-transports.js';
import { NEUTRAL_USER_AGENT } from './http-client.js';
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
  sendRequest,
  type PersonaHttpClient,
  type PersonaHttpRequest,
  type PersonaHttpResponse,
  type PersonaTransports,
} from './http-client.js';
import {
  DEFAULT_RETRY_POLICY,
  abortableSleep,
  runWithRetries,
  type AttemptEvent,
  type RetryCallOptions,
  type RetryEnvironment,
  type RetryPolicy,
  type Sleep,
} from './retry.js';

/**
 * Configuration of {@link PersonaApi}. Durations are milliseconds.
 */
export interface PersonaApiOptions {
  /**
   * Persona's base URL (`https://api.withpersona.com`, or the emulator's), for the default
   * axios transports. Required unless `transports` is given.
   */
  readonly baseUrl?: string;
  /**
   * Transports to send the requests over instead of the default axios ones (tests pass
   * fakes). They stay the caller's: {@link PersonaApi.close} does not close them.
   */
  readonly transports?: PersonaTransports;
  /** API key for `createPrivacyPass`, the only call that carries it. */
  readonly apiKey?: string;
  /** Retry policy; unset fields take {@link DEFAULT_RETRY_POLICY}'s values. */
  readonly retry?: Partial<RetryPolicy>;
  /** `User-Agent` of anonymous calls (default {@link NEUTRAL_USER_AGENT}). */
  readonly anonymousUserAgent?: string;
  /** Agent for anonymous calls of the default transports (e.g. a proxy agent); stays the caller's to destroy. */
  readonly anonymousAgent?: http.Agent;
  /** `Persona-Version` header; not sent unless set. */
  readonly personaVersion?: string;
  /** Wait between attempts (tests inject a fake). */
  readonly sleep?: Sleep;
  /** Uniform [0, 1) source for jitter (tests inject a fixed one). */
  readonly random?: () => number;
  /** Clock for the 403 retry budget (tests inject a fake). */
  readonly now?: () => number;
  /** Called after every attempt of every call (retries included, for logs); receives no secret. */
  readonly onAttempt?: (event: AttemptEvent) => void;
}

/**
 * Options of one call: cancellation, a hook before each attempt's request is sent, and an
 * observer of this call's attempts (see {@link RetryCallOptions}).
 */
export type PersonaCallOptions = RetryCallOptions;

/**
 * Options of the idempotent calls. Reuse the key for the same logical operation (a retry
 * after a crash included); never for another one.
 */
export interface IdempotentCallOptions extends RetryCallOptions {
  readonly idempotencyKey: string;
}

/**
 * Input of {@link PersonaApi.createRelay}.
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
 */
export interface CreatedRelay {
  readonly relayToken: string;
  readonly relaySecret: string;
  /** `relay-session-access-token`: the browser's 30-minute JWT. */
  readonly accessToken: string;
}

/**
 * Input of {@link PersonaApi.requestChallenge}.
 */
export interface RequestChallengeInput {
  readonly claimType: string;
  readonly sandbox: boolean;
}

/** A relay to probe, or to redeem with a token. */
export interface RelayReference {
  readonly relayToken: string;
  readonly relaySecret: string;
}

/**
 * What the 401 probe saw. `wwwAuthenticate` is the raw header of a 401 (several fields
 * joined with `", "`), left for the challenge parser.
 */
export interface ProbeChallengeResult {
  readonly status: number;
  readonly wwwAuthenticate?: string;
  readonly requestId?: string;
}

/**
 * Input of {@link PersonaApi.createPrivacyPass}.
 */
export interface CreatePrivacyPassInput {
  /** b64url of the blinded message. */
  readonly blindedToken: string;
  /** The `token-key-id` the token was blinded against, verbatim. */
  readonly keyId: string;
}

/** Persona's blind signature. */
export interface BlindSignature {
  /** b64url of the raw RSA blind signature. */
  readonly blindSig: string;
}

/**
 * Input of {@link PersonaApi.generateClaim}.
 */
export interface GenerateClaimInput extends RelayReference {
  /** The Privacy Pass token (b64url), sent unquoted as `PrivateToken token=…`. */
  readonly token: string;
}

/** A claim read from a relay. */
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

/** generate-claim and the probe send an empty object. */
const EMPTY_BODY = '{}';

/** What a method asks {@link PersonaApi} to send; the headers common to its channel are added to it. */
interface PersonaCall {
  /** Below the base URL, percent-encoded. */
  readonly path: string;
  /** Serialized JSON. */
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Persona's Relay API over two transports, with retries and secret-free errors.
 *
 * Non-2xx answers throw {@link PersonaApiError}; connection failures and timeouts
 * `RelayError(PERSONA_TRANSPORT)`; undecodable 2xx bodies `RelayError(PERSONA_PROTOCOL)`;
 * cancellation `RelayError(ABORTED)`. Invalid arguments throw `TypeError`. Use
 * {@link classifyPersonaFailure} to know what a failure says about the request.
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
  /** Closes the transports this client created; injected ones stay the caller's. */
  readonly #closeOwnTransports: () => void;
  readonly #apiKey: string | undefined;
  readonly #identifiedHeaders: Readonly<Record<string, string>>;
  readonly #anonymousHeaders: Readonly<Record<string, string>>;
  readonly #policy: RetryPolicy;
  readonly #environment: RetryEnvironment;
  #closed = false;

  constructor(options: PersonaApiOptions) {
    checkOptions(options);
    this.#apiKey = options.apiKey;
    this.#policy = resolvePolicy(options.retry);
    this.#environment = {
      sleep: options.sleep ?? abortableSleep,
      random: options.random ?? Math.random,
      now: options.now ?? Date.now,
      ...(options.onAttempt === undefined ? {} : { onAttempt: options.onAttempt }),
    };
    const common = jsonHeaders(options.personaVersion);
    this.#identifiedHeaders = { ...common, 'User-Agent': NEUTRAL_USER_AGENT };
    this.#anonymousHeaders = { ...common, 'User-Agent': options.anonymousUserAgent ?? NEUTRAL_USER_AGENT };
    if (options.transports === undefined) {
      const own = createPersonaTransports({
        baseUrl: options.baseUrl!,
        ...(options.anonymousAgent === undefined ? {} : { anonymousAgent: options.anonymousAgent }),
      });
      this.#transports = own;
      this.#closeOwnTransports = own.close;
    } else {
      this.#transports = options.transports;
      this.#closeOwnTransports = () => undefined;
    }
  }

  /**
   * Creates a relay (`POST /api/privacy/v1/relays`, anonymous). `encryption-key-pem` is
   * always sent (`null` for plaintext claims); `sandbox: true` only in sandbox.
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
    return this.#call(operation, 'anonymous', { path: PATHS.relays, body }, options, (response) => {
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
   * Requests challenge material for a claim type (`POST /api/privacy/v1/relays/challenge`);
   * `sandbox: true` only in sandbox. It carries no API key, but rides the **identified**
   * transport: it is the first step of an issuance, and the identified signing call follows
   * it within milliseconds, so Persona can tie whatever connection carries it to the
   * platform by timing. On an anonymous keep-alive connection that tie would extend to the
   * relay creations and redemptions the same connection carries later; on the identified one
   * it adds nothing Persona does not learn from the signing call itself. (A one-off
   * connection would do as well, at the price of a third agent and a handshake per issuance.)
   */
  async requestChallenge(
    input: RequestChallengeInput,
    options: PersonaCallOptions = {},
  ): Promise<ChallengeMaterial> {
    requireText(input?.claimType, 'claimType');
    requireBooleanArgument(input.sandbox, 'sandbox');
    const operation = 'request-challenge';
    const body = JSON.stringify({ 'claim-type': input.claimType, ...(input.sandbox ? { sandbox: true } : {}) });
    return this.#call(operation, 'identified', { path: PATHS.challenge, body }, options, (response) => {
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
   * Asks a relay for its challenge: generate-claim without a token, over
   * the anonymous transport, with no `Idempotency-Key`. Every HTTP answer is returned, not
   * thrown; only transport failures are retried (the probe is harmless to repeat).
   * `wwwAuthenticate` is set for a 401 that carries the header.
   */
  async probeChallenge(
    relay: RelayReference,
    options: PersonaCallOptions = {},
  ): Promise<ProbeChallengeResult> {
    requireText(relay?.relayToken, 'relayToken');
    requireHeaderValue(relay.relaySecret, 'relaySecret');
    const request: PersonaCall = {
      path: PATHS.generateClaim(relay.relayToken),
      body: EMPTY_BODY,
      headers: { 'Persona-Relay-Secret': relay.relaySecret },
    };
    return this.#call('probe-challenge', 'anonymous', request, options, (response) => {
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
   * Has Persona blind-sign a token (`POST /api/v1/privacy-passes`) over the identified
   * transport, the only call with `Authorization: Bearer <apiKey>`; never a relay secret or
   * relay token. Retries
   * resend the identical body with the same `Idempotency-Key`, so a lost answer is not
   * billed twice.
   *
   * @throws TypeError when no `apiKey` is configured.
   */
  async createPrivacyPass(
    input: CreatePrivacyPassInput,
    options: IdempotentCallOptions,
  ): Promise<BlindSignature> {
    if (this.#apiKey === undefined) {
      throw new TypeError('createPrivacyPass needs an apiKey in the PersonaApi options');
    }
    requireText(input?.blindedToken, 'blindedToken');
    requireText(input.keyId, 'keyId');
    requireHeaderValue(options?.idempotencyKey, 'idempotencyKey');
    const operation = 'create-privacy-pass';
    const request: PersonaCall = {
      path: PATHS.privacyPasses,
      body: JSON.stringify({ 'blinded-token': input.blindedToken, 'key-id': input.keyId }),
      headers: { Authorization: `Bearer ${this.#apiKey}`, 'Idempotency-Key': options.idempotencyKey },
    };
    const secrets = [input.blindedToken];
    return this.#call(operation, 'identified', request, options, (response) => {
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
   * Use {@link classifyPersonaFailure} on a failure to know whether the key must be kept,
   * and `beforeAttempt` to record each request (a retry included) before it is sent.
   */
  async generateClaim(input: GenerateClaimInput, options: IdempotentCallOptions): Promise<GeneratedClaim> {
    requireText(input?.relayToken, 'relayToken');
    requireHeaderValue(input.relaySecret, 'relaySecret');
    requireToken68(input.token, 'token');
    requireHeaderValue(options?.idempotencyKey, 'idempotencyKey');
    const operation = 'generate-claim';
    const request: PersonaCall = {
      path: PATHS.generateClaim(input.relayToken),
      body: EMPTY_BODY,
      headers: {
        Authorization: `PrivateToken token=${input.token}`,
        'Persona-Relay-Secret': input.relaySecret,
        'Idempotency-Key': options.idempotencyKey,
      },
    };
    const secrets = [input.relayToken, encodeURIComponent(input.relayToken), input.relaySecret, input.token];
    return this.#call(operation, 'anonymous', request, options, (response) => {
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
   */
  close(): void {
    this.#closed = true;
    this.#closeOwnTransports();
  }

  /** Runs one logical call with retries; every attempt sends the same request. */
  async #call<T>(
    operation: PersonaOperation,
    channel: keyof PersonaTransports,
    call: PersonaCall,
    options: PersonaCallOptions,
    interpret: (response: PersonaHttpResponse) => T,
  ): Promise<T> {
    if (this.#closed) throw new TypeError('PersonaApi is closed');
    checkCallOptions(options);
    const transport: PersonaHttpClient = this.#transports[channel];
    const request: PersonaHttpRequest = {
      method: 'POST',
      path: call.path,
      headers: { ...(channel === 'identified' ? this.#identifiedHeaders : this.#anonymousHeaders), ...call.headers },
      body: call.body,
    };
    return runWithRetries(
      operation,
      async (attemptSignal) => {
        if (this.#closed) {
          throw new RelayError(RelayErrorCode.ABORTED, `Persona ${operation} was aborted: the client is closed`, {
            context: { operation },
          });
        }
        const response = await sendRequest(transport, operation, { ...request, signal: attemptSignal });
        return { status: response.status, value: interpret(response) };
      },
      this.#policy,
      this.#environment,
      options ?? {},
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

/** Headers of every call: JSON both ways, kebab-case field names. */
function jsonHeaders(personaVersion: string | undefined): Record<string, string> {
  return {
    'Content-Type': 'application/json',
    Accept: 'application/json',
    'Key-Inflection': 'kebab',
    ...(personaVersion === undefined ? {} : { 'Persona-Version': personaVersion }),
  };
}

const POLICY_FIELDS = Object.keys(DEFAULT_RETRY_POLICY) as ReadonlyArray<keyof RetryPolicy>;

function resolvePolicy(retry: Partial<RetryPolicy> = {}): RetryPolicy {
  return Object.fromEntries(
    POLICY_FIELDS.map((name) => [name, retry[name] ?? DEFAULT_RETRY_POLICY[name]]),
  ) as Record<keyof RetryPolicy, number>;
}

function checkOptions(options: PersonaApiOptions): void {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  if (options.transports === undefined) {
    requireText(options.baseUrl, 'baseUrl');
    if (!URL.canParse(options.baseUrl) || !/^https?:$/.test(new URL(options.baseUrl).protocol)) {
      throw new TypeError('baseUrl must be an http(s) URL');
    }
  } else {
    checkTransports(options.transports);
    // Both configure the default transports only: silently ignoring them would hide a mistake.
    if (options.baseUrl !== undefined || options.anonymousAgent !== undefined) {
      throw new TypeError('baseUrl and anonymousAgent apply to the default transports: leave them out with transports');
    }
  }
  if (options.apiKey !== undefined) requireHeaderValue(options.apiKey, 'apiKey');
  if (options.anonymousUserAgent !== undefined) requireHeaderText(options.anonymousUserAgent, 'anonymousUserAgent');
  if (options.personaVersion !== undefined) requireHeaderText(options.personaVersion, 'personaVersion');
  if (options.anonymousAgent !== undefined && !(options.anonymousAgent instanceof http.Agent)) {
    throw new TypeError('anonymousAgent must be an http.Agent');
  }
  if (options.retry !== undefined) checkRetryPolicy(options.retry);
  for (const name of ['sleep', 'random', 'now', 'onAttempt'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw new TypeError(`${name} must be a function`);
    }
  }
}

function checkTransports(transports: PersonaTransports): void {
  for (const channel of ['identified', 'anonymous'] as const) {
    if (typeof transports?.[channel]?.send !== 'function') {
      throw new TypeError(`transports.${channel} must have a send function`);
    }
  }
}

function checkRetryPolicy(retry: Partial<RetryPolicy>): void {
  if (typeof retry !== 'object' || retry === null) throw new TypeError('retry must be an object');
  for (const name of Object.keys(retry)) {
    if (!(POLICY_FIELDS as readonly string[]).includes(name)) throw new TypeError(`retry.${name} is not a retry setting`);
  }
  for (const name of POLICY_FIELDS) {
    const value = retry[name];
    if (value === undefined) continue;
    if (name === 'maxRetries') requireNumber(value, 'retry.maxRetries', { min: 0, integer: true });
    else requireNumber(value, `retry.${name}`, { min: name === 'requestTimeoutMs' ? 1 : 0 });
  }
}

function checkCallOptions(options: PersonaCallOptions | undefined): void {
  if (options?.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new TypeError('signal must be an AbortSignal');
  }
  for (const name of ['beforeAttempt', 'onAttempt'] as const) {
    if (options?.[name] !== undefined && typeof options[name] !== 'function') {
      throw new TypeError(`${name} must be a function`);
    }
  }
}
