/**
 * Reaches Persona the way the library does, without an API key: one challenge request through the
 * library's own client and transports, whose answer must decode as Persona's. Persona's `Date` header
 * tells how far this machine's clock is off.
 */
import {
  createPersonaTransports,
  PersonaApi,
  PersonaApiError,
  type PersonaHttpClient,
} from '../core/persona/index.js';
import { RelayError, RelayErrorCode } from '../core/errors.js';
import type { PersonaSettings } from './configuration.js';

/** Persona answered the challenge request. */
export interface PersonaAnswer {
  /** Milliseconds from sending to the answer. */
  readonly roundTripMs: number;
  /**
   * Persona's clock minus this machine's, in milliseconds, at the middle of the round trip; absent when the
   * answer had no usable `Date` header. Within ±0.5 s only: `Date` has one-second resolution.
   */
  readonly clockOffsetMs?: number;
}

/** Persona did not answer as Persona does; `message` is one secret-free line. */
export class PersonaUnreachableError extends Error {
  override readonly name = 'PersonaUnreachableError';
}

/**
 * Sends one challenge request (no retries: a diagnosis wants the first answer).
 *
 * @throws PersonaUnreachableError with the reason
 */
export async function probePersona(settings: PersonaSettings, now: () => number): Promise<PersonaAnswer> {
  const transports = createPersonaTransports({ baseUrl: settings.apiUrl });
  let dateHeader: string | undefined;
  // Whichever channel the client picks for the challenge, its answer's Date header is kept.
  const recording = (client: PersonaHttpClient): PersonaHttpClient => ({
    async send(request) {
      const response = await client.send(request);
      dateHeader = response.headers['date'];
      return response;
    },
  });
  const api = new PersonaApi({
    transports: { identified: recording(transports.identified), anonymous: recording(transports.anonymous) },
    retry: { maxRetries: 0, requestTimeoutMs: settings.requestTimeoutMs },
    anonymousUserAgent: settings.anonymousUserAgent,
    ...(settings.personaVersion === undefined ? {} : { personaVersion: settings.personaVersion }),
  });
  const sentAt = now();
  try {
    await api.requestChallenge({ claimType: settings.claimType, sandbox: settings.sandbox });
  } catch (error) {
    throw new PersonaUnreachableError(failureReason(settings.apiUrl, error));
  } finally {
    api.close();
    transports.close();
  }
  const receivedAt = now();
  // `Date` names a whole second: its middle is the best guess of Persona's time, off by half a second at most.
  const personaTime = dateHeader === undefined ? Number.NaN : Date.parse(dateHeader) + 500;
  return {
    roundTripMs: receivedAt - sentAt,
    ...(Number.isNaN(personaTime) ? {} : { clockOffsetMs: personaTime - (sentAt + receivedAt) / 2 }),
  };
}

function failureReason(apiUrl: string, error: unknown): string {
  if (error instanceof PersonaApiError) {
    return `${apiUrl} answered the challenge request with ${error.status} ${error.title}: is PERSONA_API_URL Persona's base URL?`;
  }
  if (error instanceof RelayError && error.code === RelayErrorCode.PERSONA_TRANSPORT) {
    return `no answer from ${apiUrl} (${String(error.context['reason'])})`;
  }
  if (error instanceof RelayError && error.code === RelayErrorCode.PERSONA_PROTOCOL) {
    return `${apiUrl} answered the challenge request, but not as Persona does: is PERSONA_API_URL Persona's base URL?`;
  }
  throw error;
}
