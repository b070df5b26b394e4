import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RelayErrorCode } from '../../../src/core/errors.js';
import { CreateSessionDto, RedeemClaimDto, SessionIdParams, validateDto } from '../../../src/http/dto.js';
import { expectRelayError } from '../protocol/relay-error-assertions.js';

describe('validateDto', () => {
  it('returns an instance of the DTO with the valid fields', () => {
    const dto = validateDto(CreateSessionDto, { claimType: 'age_over18_verified' });
    expect(dto).toBeInstanceOf(CreateSessionDto);
    expect(dto.claimType).toBe('age_over18_verified');
  });

  it('treats an absent body as {}', () => {
    expect(validateDto(CreateSessionDto, undefined).claimType).toBeUndefined();
    expect(validateDto(CreateSessionDto, null).claimType).toBeUndefined();
    expect(validateDto(RedeemClaimDto, {})).toBeInstanceOf(RedeemClaimDto);
  });

  it('rejects anything but a plain object', () => {
    for (const body of [[], 'text', 42, true, [{ claimType: 'x' }]]) {
      const error = expectRelayError(() => validateDto(CreateSessionDto, body), RelayErrorCode.INVALID_REQUEST);
      expect(error.message).toBe('The request body must be a JSON object');
    }
  });

  it('rejects unknown fields, naming them', () => {
    const error = expectRelayError(() => validateDto(RedeemClaimDto, { force: true }), RelayErrorCode.INVALID_REQUEST);
    expect(error.message).toContain('force');
    expect(error.context.problems).toEqual([expect.stringContaining('force')]);
  });

  it('lists every problem at once', () => {
    const error = expectRelayError(
      () => validateDto(CreateSessionDto, { claimType: 'Bad Type', extra: 1, more: 2 }),
      RelayErrorCode.INVALID_REQUEST,
    );
    expect(error.context.problems).toHaveLength(3);
  });

  it('checks claim type ids: [a-z0-9_], 1 to 100 characters, a string', () => {
    expect(validateDto(CreateSessionDto, { claimType: 'a'.repeat(100) }).claimType).toHaveLength(100);
    expect(validateDto(CreateSessionDto, { claimType: null }).claimType ?? undefined).toBeUndefined(); // null = the default
    for (const claimType of ['', 'a'.repeat(101), 'Age', 'age-over', 'age over', 42, ['age']]) {
      expectRelayError(() => validateDto(CreateSessionDto, { claimType }), RelayErrorCode.INVALID_REQUEST);
    }
  });

  it('accepts lowercase UUIDv4 session ids only', () => {
    const id = randomUUID();
    expect(validateDto(SessionIdParams, { sessionId: id }).sessionId).toBe(id);
    for (const sessionId of [id.toUpperCase(), 'not-a-uuid', '', `${id}x`, '00000000-0000-1000-8000-000000000000', undefined]) {
      expectRelayError(() => validateDto(SessionIdParams, { sessionId }), RelayErrorCode.INVALID_REQUEST);
    }
  });

  it('rejects a __proto__ key like any unknown field', () => {
    const body = JSON.parse('{"__proto__":{"claimType":"Not A Claim"}}') as unknown;
    const error = expectRelayError(() => validateDto(CreateSessionDto, body), RelayErrorCode.INVALID_REQUEST);
    expect(error.message).toContain('__proto__');
  });

  // Attack: `{"constructor":"x"}` and the like were answered 201, since class-transformer drops such keys unseen.
  it.each(['constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', '__defineGetter__', 'toLocaleString'])(
    'rejects a %s key (shadowing Object.prototype) like any unknown field',
    (key) => {
      for (const dto of [CreateSessionDto, RedeemClaimDto]) {
        const body = JSON.parse(`{"${key}":"x"}`) as unknown;
        const error = expectRelayError(() => validateDto(dto, body), RelayErrorCode.INVALID_REQUEST);
        expect(error.context.problems).toEqual([`property ${key} should not exist`]);
      }
    },
  );
});
