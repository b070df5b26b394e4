/**
 * The default transports to Persona, on axios.
 *
 * Each of the two has its own keep-alive agents, so one TCP connection never carries both
 * an identified and an anonymous call: Persona could otherwise link an identified
 * issuance to an anonymous redemption.
 */
import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import {
  PersonaTransportError,
  RESPONSE_TOO_LARGE,
  type PersonaHttpClient,
  type PersonaHttpRequest,
  type PersonaHttpResponse,
  type PersonaTransports,
} from './http-client.js';

/** Largest response body accepted; Persona's bodies are a few kilobytes at most. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * Options of {@link createPersonaTransports}.
 */
export interface PersonaTransportOptions {
  /** Persona's base URL, e.g. `https://api.withpersona.com` or the emulator's. */
  readonly baseUrl: string;
  /**
   * Agent for every anonymous call, http and https alike (e.g. a proxy agent). It stays the
   * caller's: `close()` does not destroy it.
   */
  readonly anonymousAgent?: http.Agent;
}

/**
 * Creates the identified and anonymous transports on axios: no redirects followed, every
 * status resolved, bodies sent and returned as text (at most {@link MAX_RESPONSE_BYTES}),
 * environment proxy variables ignored (axios would route both transports through one
 * shared tunnelling agent; use `anonymousAgent` to proxy anonymous calls). Failures
 * reject with a {@link PersonaTransportError}; axios' own error, which holds the request's
 * headers, is never passed on.
 *
 * @example
 * ```ts
 * const transports = createPersonaTransports({ baseUrl: 'https://api.withpersona.com' });
 * const api = new PersonaApi({ transports, apiKey });
 * // …
 * api.close();
 * transports.close();
 * ```
 */
export function createPersonaTransports(options: PersonaTransportOptions): PersonaTransports & { close(): void } {
  const ownedAgents: http.Agent[] = [];
  const keepAliveAgents = (): { httpAgent: http.Agent; httpsAgent: http.Agent } => {
    const pair = { httpAgent: new http.Agent({ keepAlive: true }), httpsAgent: new https.Agent({ keepAlive: true }) };
    ownedAgents.push(pair.httpAgent, pair.httpsAgent);
    return pair;
  };
  const anonymousAgents =
    options.anonymousAgent === undefined
      ? keepAliveAgents()
      : { httpAgent: options.anonymousAgent, httpsAgent: options.anonymousAgent };
  return {
    identified: axiosClient(createInstance(options.baseUrl, keepAliveAgents())),
    anonymous: axiosClient(createInstance(options.baseUrl, anonymousAgents)),
    close: () => {
      for (const agent of ownedAgents) agent.destroy();
    },
  };
}

function createInstance(baseUrl: string, agents: { httpAgent: http.Agent; httpsAgent: http.Agent }): AxiosInstance {
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
    // Bodies are serialized and parsed by the client, so the bytes sent on a retry are
    // exactly those of the first attempt and parsing stays tolerant.
    transformRequest: [(data: unknown) => data],
    transformResponse: [(data: unknown) => data],
  });
}

function axiosClient(instance: AxiosInstance): PersonaHttpClient {
  return {
    async send(request: PersonaHttpRequest): Promise<PersonaHttpResponse> {
      let response: AxiosResponse<unknown>;
      try {
        response = await instance.request({
          method: request.method,
          url: request.path,
          headers: { ...request.headers },
          data: request.body,
          ...(request.signal === undefined ? {} : { signal: request.signal }),
        });
      } catch (error) {
        throw transportError(error);
      }
      return {
        status: response.status,
        headers: flattenHeaders(response.headers),
        bodyText: typeof response.data === 'string' ? response.data : '',
      };
    },
  };
}

function transportError(error: unknown): PersonaTransportError {
  const code = axios.isAxiosError(error) ? error.code : undefined;
  const message = error instanceof Error ? error.message : '';
  if (code === 'ERR_BAD_RESPONSE' && message.startsWith('maxContentLength')) {
    return new PersonaTransportError(RESPONSE_TOO_LARGE);
  }
  return new PersonaTransportError(code ?? 'UNKNOWN');
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
