import { describe, expect, it } from 'vitest';
import { RelayError, RelayErrorCode } from '../../../src/core/errors.js';
import { PersonaApiError } from '../../../src/core/persona/index.js';
import { claimRequiredError, RELAY_ERROR_STATUS, toErrorResponse } from '../../../src/http/error-response.js';

describe('toErrorResponse', () => {
  it('has an HTTP status for every error code', () => {
    for (const code of Object.values(RelayErrorCode)) {
      const status = RELAY_ERROR_STATUS[code];
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThan(600);
      expect(toErrorResponse(new RelayError(code, 'message')).status, code).toBe(status);
    }
    expect(Object.keys(RELAY_ERROR_STATUS).sort()).toEqual(Object.values(RelayErrorCode).sort());
  });

  it('maps what the caller can fix to 4xx and the rest to 5xx', () => {
    expect(RELAY_ERROR_STATUS[RelayErrorCode.INVALID_REQUEST]).toBe(400);
    expect(RELAY_ERROR_STATUS[RelayErrorCode.CLAIM_REQUIRED]).toBe(403);
    expect(RELAY_ERROR_STATUS[RelayErrorCode.SESSION_NOT_FOUND]).toBe(404);
    expect(RELAY_ERROR_STATUS[RelayErrorCode.ROUTE_NOT_FOUND]).toBe(404);
    expect(RELAY_ERROR_STATUS[RelayErrorCode.CLAIM_NOT_READY]).toBe(409);
    expect(RELAY_ERROR_STATUS[RelayErrorCode.PAYLOAD_TOO_LARGE]).toBe(413);
    expect(RELAY_ERROR_STATUS[RelayErrorCode.UNSUPPORTED_MEDIA_TYPE]).toBe(415);
    expect(RELAY_ERROR_STATUS[RelayErrorCode.RATE_LIMITED]).toBe(429);
    expect(RELAY_ERROR_STATUS[RelayErrorCode.INTERNAL]).toBe(500);
    expect(RELAY_ERROR_STATUS[RelayErrorCode.PERSONA_API]).toBe(502);
    expect(RELAY_ERROR_STATUS[RelayErrorCode.STORAGE]).toBe(503);
    expect(RELAY_ERROR_STATUS[RelayErrorCode.RELAY_BUSY]).toBe(503);
  });

  it('answers a RelayError with exactly its code and message', () => {
    expect(toErrorResponse(new RelayError(RelayErrorCode.SESSION_NOT_FOUND, 'No such session', { context: { sessionId: 'x' } }))).toEqual({
      status: 404,
      body: { code: 'ERR_RELAY_SESSION_NOT_FOUND', message: 'No such session' },
    });
  });

  it('adds the claim type to CLAIM_REQUIRED only, as the Nest guard does', () => {
    expect(toErrorResponse(claimRequiredError('age_over18_verified'))).toEqual({
      status: 403,
      body: { code: 'ERR_RELAY_CLAIM_REQUIRED', claimType: 'age_over18_verified', message: 'A verified claim is required' },
    });
    const other = new RelayError(RelayErrorCode.INVALID_REQUEST, 'no', { context: { claimType: 'age_over18_verified' } });
    expect(toErrorResponse(other).body).toEqual({ code: 'ERR_RELAY_INVALID_REQUEST', message: 'no' });
  });

  it("answers Persona's failures with 502, never with Persona's own status", () => {
    const error = new PersonaApiError({ status: 422, title: 'Unprocessable', operation: 'generate-claim' });
    expect(toErrorResponse(error).status).toBe(502);
  });

  // Attack: a failed issuance showed the browser "Persona create-privacy-pass failed: 400 Bad Request (code) [req_…]",
  // whose request id belongs to the API-key call for this visitor's relay.
  it("keeps Persona's title, code and request id out of the body", () => {
    const error = new PersonaApiError({
      status: 400,
      title: 'Bad Request Title',
      personaCode: 'persona_code',
      requestId: 'req_AbC123',
      operation: 'create-privacy-pass',
    });
    expect(toErrorResponse(error)).toEqual({
      status: 502,
      body: { code: 'ERR_RELAY_PERSONA_API', message: 'The verification service gave an unusable answer; try again later' },
    });
  });

  it('answers every 5xx with a generic message and every 4xx with its own', () => {
    for (const code of Object.values(RelayErrorCode)) {
      const { status, body } = toErrorResponse(new RelayError(code, 'the detailed message'));
      if (status >= 500) expect(body.message, code).not.toContain('detailed');
      else expect(body.message, code).toBe('the detailed message');
    }
  });

  it('answers anything else with a bare 500 that says nothing about it', () => {
    const leaky = [
      new Error('connect ECONNREFUSED postgres://admin:hunter2@db'),
      new TypeError('Cannot read properties of undefined'),
      'a string',
      { code: 'ERR_RELAY_INVALID_REQUEST', message: 'looks like ours' },
      undefined,
      null,
    ];
    for (const error of leaky) {
      expect(toErrorResponse(error)).toEqual({ status: 500, body: { code: 'ERR_RELAY_INTERNAL', message: 'Internal error' } });
    }
  });
});
