/**
 * Assertions shared by the protocol and config unit tests.
 */
import { expect } from 'vitest';
import { RelayError, type RelayErrorCodeValue } from '../../../src/core/errors.js';

/**
 * Runs `action`, asserts it throws a {@link RelayError} with `code`, and returns the error.
 */
export function expectRelayError(action: () => unknown, code: RelayErrorCodeValue): RelayError {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, 'expected a RelayError to be thrown').toBeInstanceOf(RelayError);
  const error = thrown as RelayError;
  expect(error.code).toBe(code);
  return error;
}

/**
 * Asserts that `secret` appears neither in the error's message nor in its JSON-serialised context or cause
 * message.
 */
export function expectNoSecretIn(error: RelayError, secret: string): void {
  expect(error.message).not.toContain(secret);
  expect(JSON.stringify(error.context)).not.toContain(secret);
  const cause = error.cause;
  if (cause instanceof Error) expect(cause.message).not.toContain(secret);
}
