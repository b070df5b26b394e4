import { describe, expect, it } from 'vitest';
import { RelayError, RelayErrorCode } from '../../../src/core/errors.js';
import { PersonaApiError, isAmbiguousFailure, type PersonaOperation } from '../../../src/core/persona/index.js';

const apiError = (status: number, operation: PersonaOperation = 'generate-claim') =>
  new PersonaApiError({ operation, status, title: 'x' });
const relayError = (code: (typeof RelayErrorCode)[keyof typeof RelayErrorCode]) => new RelayError(code, 'x');

const OPERATIONS: readonly PersonaOperation[] = [
  'create-relay',
  'request-challenge',
  'probe-challenge',
  'create-privacy-pass',
  'generate-claim',
];

describe('isAmbiguousFailure', () => {
  it.each([
    [409, true],
    [429, true],
    [500, true],
    [502, true],
    [503, true],
    [504, true],
    [400, false],
    [401, false],
    [404, false],
    [422, false],
    [501, false],
    [307, false],
  ])('status %i → %s on every operation', (status, expected) => {
    for (const operation of OPERATIONS) {
      expect(isAmbiguousFailure(apiError(status, operation), operation)).toBe(expected);
    }
  });

  it('403 is ambiguous on generate-claim only', () => {
    for (const operation of OPERATIONS) {
      expect(isAmbiguousFailure(apiError(403, operation), operation)).toBe(operation === 'generate-claim');
    }
  });

  it.each([
    [RelayErrorCode.PERSONA_TRANSPORT, true],
    [RelayErrorCode.PERSONA_PROTOCOL, true],
    [RelayErrorCode.ABORTED, true],
    [RelayErrorCode.INVALID_TOKEN, false],
    [RelayErrorCode.STORAGE, false],
  ])('%s → %s', (code, expected) => {
    expect(isAmbiguousFailure(relayError(code), 'generate-claim')).toBe(expected);
    expect(isAmbiguousFailure(relayError(code), 'create-privacy-pass')).toBe(expected);
  });

  it('anything that is not a RelayError is not', () => {
    expect(isAmbiguousFailure(new TypeError('x'), 'generate-claim')).toBe(false);
    expect(isAmbiguousFailure('boom', 'generate-claim')).toBe(false);
    expect(isAmbiguousFailure(undefined, 'generate-claim')).toBe(false);
  });
});

describe('PersonaApiError', () => {
  it('formats a message naming the operation, and omits absent fields', () => {
    const error = new PersonaApiError({ operation: 'create-relay', status: 503, title: 'Service Unavailable' });
    expect(error.message).toBe('Persona create-relay failed: 503 Service Unavailable');
    expect(Object.keys(error)).not.toContain('details');
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: 'PersonaApiError',
      code: RelayErrorCode.PERSONA_API,
      context: { operation: 'create-relay', status: 503 },
      operation: 'create-relay',
      status: 503,
      title: 'Service Unavailable',
    });
  });

  it('shortens a long title in the message only', () => {
    const title = 'T'.repeat(300);
    const error = new PersonaApiError({ operation: 'create-relay', status: 400, title });
    expect(error.title).toBe(title);
    expect(error.message.length).toBeLessThan(200);
  });
});
