/**
 * The two HTTP transports to Persona (design §4 rule 1, protocol §2.1).
 *
 * - **identified** carries the API key and is used only for privacy-passes (issuance).
 * - **anonymous** carries no API key and nothing that identifies the platform; it is used
 *   for relay creation, challenges, the 401 probe and redemption.
 *
 * Each has its own keep-alive agents, so one TCP connection never carries both kinds of
 * call: Persona could otherwise link an identified issuance to an anonymous redemption.
 */
import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance, type AxiosResponse, type RawAxiosRequestHeaders } from 'axios';
import { RelayError, RelayErrorCode } from '../errors.js';
import type { PersonaOperation } from './persona-error.js';
import { protocolError } from './response-body.js';

/**
 * The `User-Agent` both transports send unless the anonymous one is given another: the
 * value Node's built-in `fetch` sends, shared by countless clients, so it says nothing
 * about the platform (axios would otherwise announce itself and its version).
 */
export const NEUTRAL_USER_AGENT = 'node';

/** Largest response body accepted; Persona's bodies are a few kilobytes at most. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * Options of {@link createPersonaTransports}.
 *
 * @example
 * ```ts
 * const options: PersonaTransportOptions = { baseUrl: 'https://api.withpersona.com', apiKey };
 * ```
 */
export interface PersonaTransportOptions {
  /** Persona's base URL, e.g. `https://api.withpersona.com` or the emulator's. */
  readonly baseUrl: string;
  /** API key for the identified transport; without it there is no identified transport. */
  readonly apiKey?: string;
  /** `User-Agent` of anonymous calls; defaults to {@link NEUTRAL_USER_AGENT}. */
  readonly anonymousUserAgent?: string;
  /**
   * Agent for every anonymous call, http and https alike (e.g. a proxy agent). It stays the
   * caller's: {@link PersonaTransports.close} does not destroy it.
   */
  readonly anonymousAgent?: http.Agent;
  /** `Persona-Version` header value; the header is sent only when this is set. */
  readonly personaVersion?: string;
}

/**
 * The two axios instances and a way to release their connections.
 *
 * @example
 * ```ts
 * const transports = createPersonaTransports({ baseUrl, apiKey });
 * try {
 *   const response = await postJson(transports.anonymous, 'request-challenge', {
 *     path: '/api/privacy/v1/relays/challenge',
 *     body: '{"claim-type":"age_over18_germany"}',
 *   });
 * } finally {
 *   transports.close();
 * }
 * ```
 */
export interface PersonaTransports {
  /** Sends `Authorization: Bearer <apiKey>`; `undefined` when no API key is configured. */
  readonly identified: AxiosInstance | undefined;
  /** No API key, no identifying header. */
  readonly anonymous: AxiosInstance;
  /** Destroys the agents these transports created (open keep-alive connections close). */
  close(): void;
}

/**
 * Creates the identified and anonymous transports.
 *
 * Both: JSON in and out with `Key-Inflection: kebab`; no redirects followed (a redirect
 * must not carry credentials elsewhere); every status resolves (callers judge it); the
 * body is returned as text, at most {@link MAX_RESPONSE_BYTES}; environment proxy
 * variables are ignored, because axios would route both transports through one shared
 * tunnelling agent (use `anonymousAgent` to proxy anonymous calls).
 *
 * @example
 * ```ts
 * const { identified, anonymous, close } = createPersonaTransports({
 *   baseUrl: 'https://api.withpersona.com',
 *   apiKey: process.env.PERSONA_API_KEY,
 *   anonymousUserAgent: 'Mozilla/5.0',
 * });
 * ```
 */
export function createPersonaTransports(options: PersonaTransportOptions): PersonaTransports {
  const ownedAgents: http.Agent[] = [];
  const keepAliveAgents = (): { httpAgent: http.Agent; httpsAgent: https.Agent } => {
    const pair = {
      httpAgent: new http.Agent({ keepAlive: true }),
      httpsAgent: new https.Agent({ keepAlive: true }),
    };
    ownedAgents.push(pair.httpAgent, pair.httpsAgent);
    return pair;
  };

  const common = commonHeaders(options.personaVersion);

  const identified =
    options.apiKey === undefined
      ? undefined
      : createInstance(options.baseUrl, keepAliveAgents(), {
          ...common,
          'User-Agent': NEUTRAL_USER_AGENT,
          Authorization: `Bearer ${options.apiKey}`,
        });

  const anonymousAgents =
    options.anonymousAgent === undefined
      ? keepAliveAgents()
      : { httpAgent: options.anonymousAgent, httpsAgent: options.anonymousAgent };
  const anonymous = createInstance(options.baseUrl, anonymousAgents, {
    ...common,
    'User-Agent': options.anonymousUserAgent ?? NEUTRAL_USER_AGENT,
  });

  return {
    identified,
    anonymous,
    close: () => {
      for (const agent of ownedAgents) agent.destroy();
    },
  };
}

function commonHeaders(personaVersion: string | undefined): RawAxiosRequestHeaders {
  const headers: RawAxiosRequestHeaders = {
    'Content-Type': 'application/json',
    Accept: 'application/json',
    'Key-Inflection': 'kebab',
  };
  if (personaVersion !== undefined) headers['Persona-Version'] = personaVersion;
  return headers;
}

function createInstance(
  baseUrl: string,
  agents: { httpAgent: http.Agent; httpsAgent: http.Agent },
  headers: RawAxiosRequestHeaders,
): AxiosInstance {
  return axios.create({
    baseURL: baseUrl,
    allowAbsoluteUrls: false,
    // Agents only apply to the node http adapter, never to fetch.
    adapter: 'http',
    httpAgent: agents.httpAgent,
    httpsAgent: agents.httpsAgent,
    proxy: false,
    maxRedirects: 0,
    maxContentLength: MAX_RESPONSE_BYTES,
    validateStatus: () => true,
    responseType: 'text',
    // Bodies are serialized by the caller and parsed by the caller, so the bytes sent on a
    // retry are exactly those of the first attempt and parsing stays tolerant.
    transformRequest: [(data: unknown) => data],
    transformResponse: [(data: unknown) => data],
    headers,
  });
}

/**
 * One POST to Persona.
 *
 * @example
 * ```ts
 * const request: PersonaHttpRequest = { path: '/api/v1/privacy-passes', body, headers: { 'Idempotency-Key': key } };
 * ```
 */
export interface PersonaHttpRequest {
  /** Path below the base URL, already percent-encoded. */
  readonly path: string;
  /** Serialized JSON body. */
  readonly body: string;
  /** Headers of this request on top of the transport's own. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Persona's answer, whatever its status.
 *
 * @example
 * ```ts
 * if (response.status === 401) use(response.headers['www-authenticate']);
 * ```
 */
export interface PersonaHttpResponse {
  readonly status: number;
  /** Lower-case names; repeated fields joined with `", "`. */
  readonly headers: Readonly<Record<string, string>>;
  readonly bodyText: string;
}

/**
 * Sends one POST over `transport` and resolves with the answer for any status.
 *
 * Failures are mapped to secret-free errors; axios' own error (which holds the request
 * configuration, headers included) is never attached:
 * - cancelled through `signal` → `RelayError(ABORTED)` (the retry loop tells a caller's
 *   abort from a timeout);
 * - body larger than {@link MAX_RESPONSE_BYTES} → `RelayError(PERSONA_PROTOCOL)`;
 * - anything else (refused, reset, TLS, DNS) → `RelayError(PERSONA_TRANSPORT)` with the
 *   system error code as `context.reason`.
 *
 * @example
 * ```ts
 * const response = await postJson(transports.anonymous, 'generate-claim', request, signal);
 * ```
 */
export async function postJson(
  transport: AxiosInstance,
  operation: PersonaOperation,
  request: PersonaHttpRequest,
  signal?: AbortSignal,
): Promise<PersonaHttpResponse> {
  let response: AxiosResponse<unknown>;
  try {
    response = await transport.post(request.path, request.body, {
      ...(request.headers === undefined ? {} : { headers: { ...request.headers } }),
      ...(signal === undefined ? {} : { signal }),
    });
  } catch (error) {
    throw transportFailure(operation, error);
  }
  return {
    status: response.status,
    headers: flattenHeaders(response.headers),
    bodyText: typeof response.data === 'string' ? response.data : '',
  };
}

function transportFailure(operation: PersonaOperation, error: unknown): RelayError {
  if (axios.isCancel(error)) {
    return new RelayError(RelayErrorCode.ABORTED, `Persona ${operation} request was cancelled`, {
      context: { operation },
    });
  }
  const code = axios.isAxiosError(error) ? error.code : undefined;
  const message = error instanceof Error ? error.message : '';
  if (code === 'ERR_BAD_RESPONSE' && message.startsWith('maxContentLength')) {
    return protocolError(operation, undefined, `the body exceeds ${MAX_RESPONSE_BYTES} bytes`);
  }
  // Only a system error code goes on: messages can quote hosts, proxies or paths.
  const reason = code !== undefined && /^[A-Z][A-Z0-9_]{0,40}$/.test(code) ? code : 'UNKNOWN';
  return new RelayError(RelayErrorCode.PERSONA_TRANSPORT, `Persona ${operation} request failed: ${reason}`, {
    context: { operation, reason },
  });
}

function flattenHeaders(headers: AxiosResponse['headers']): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string') flat[name.toLowerCase()] = value;
    else if (typeof value === 'number') flat[name.toLowerCase()] = String(value);
    else if (Array.isArray(value)) flat[name.toLowerCase()] = value.join(', ');
  }
  return flat;
}
