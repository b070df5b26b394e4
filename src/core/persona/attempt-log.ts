import type { RelayLogger } from '../logger.js';
import type { AttemptEvent } from './retry.js';

/**
 * An `onAttempt` observer that logs the retry loop through `logger`: every retry at warn
 * level (a Persona that needs retries is worth noticing), every other outcome at debug
 * level (the caller reports a failure that ends a call). The context is the event itself:
 * operation, attempt, status or error code, the wait before the next attempt; never a
 * secret.
 *
 * @example
 * ```ts
 * const api = new PersonaApi({ baseUrl, apiKey, onAttempt: logAttemptsTo(logger) });
 * ```
 */
export function logAttemptsTo(logger: RelayLogger): (event: AttemptEvent) => void {
  return (event) => {
    if (event.outcome === 'retry') logger.warn(`Persona ${event.operation} attempt failed; retrying`, { ...event });
    else logger.debug(`Persona ${event.operation} attempt: ${event.outcome}`, { ...event });
  };
}
