import { describe, expect, it } from 'vitest';
import { RelayError, RelayErrorCode } from '../../../src/core/errors.js';
import { PersonaApiError, classifyPersonaFailure, type PersonaOperation } from '../../../src/core/persona/index.js';

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

describe('classifyPersonaFailure', () => {
  it.each([
    [409, 'ambiguous'],
    [429, 'ambiguous'],
    [500, 'ambiguous'],
    [502, 'ambiguous'],
    [503, 'ambiguous'],
    [504, 'ambiguous'],
    // Other server errors say nothing about whether the request ran: the key is kept.
    [507, 'ambiguous'],
    [599, 'ambiguous'],
    // The server did not implement the method or the HTTP version: it never ran the request.
    [501, 'final'],
    [505, 'final'],
    [400, 'final'],
    [401, 'final'],
    [404, 'final'],
    [408, 'final'],
    [422, 'final'],
    [307, 'final'],
  ] as const)('status %i → %s on every operation', (status, expected) => {
    for (const operation of OPERATIONS) {
      expect(classifyPersonaFailure(apiError(status, operation), operation)).toBe(expected);
    }
  });

  it('403 is forbidden (retried within its budget) on generate-claim, final elsewhere', () => {
    for (const operation of OPERATIONS) {
      expect(classifyPersonaFailure(apiError(403, operation), operation)).toBe(
        operation === 'generate-claim' ? 'forbidden' : 'final',
      );
    }
  });

  it.each([
    [RelayErrorCode.PERSONA_TRANSPORT, 'ambiguous'],
    [RelayErrorCode.PERSONA_PROTOCOL, 'ambiguous'],
    // A cancelled request may still have reached Persona.
    [RelayErrorCode.ABORTED, 'ambiguous'],
    [RelayErrorCode.INVALID_TOKEN, 'unknown'],
    [RelayErrorCode.STORAGE, 'unknown'],
  ] as const)('%s → %s', (code, expected) => {
    expect(classifyPersonaFailure(relayError(code), 'generate-claim')).toBe(expected);
    expect(classifyPersonaFailure(relayError(code), 'create-privacy-pass')).toBe(expected);
  });

  it('anything that is not a RelayError is unknown', () => {
    expect(classifyPersonaFailure(new TypeError('x'), 'generate-claim')).toBe('unknown');
    expect(classifyPersonaFailure('boom', 'generate-claim')).toBe('unknown');
    expect(classifyPersonaFailure(undefined, 'generate-claim')).toBe('unknown');
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
