import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { RelayError, RelayErrorCode } from '../../../src/core/errors.js';
import {
  assertDeclaredLength,
  MAX_RELAY_BODY_BYTES,
  parseJsonBody,
  parsedBody,
  readJsonBody,
} from '../../../src/http/read-json-body.js';
import { expectRelayError } from '../protocol/relay-error-assertions.js';

async function rejection(promise: Promise<unknown>): Promise<RelayError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RelayError);
  return error as RelayError;
}

describe('readJsonBody', () => {
  it('parses a JSON body arriving in pieces, multi-byte characters split across them', async () => {
    const bytes = Buffer.from('{"name":"Zoë ✓"}');
    const split = bytes.indexOf(0xc3) + 1; // inside "ë"
    expect(await readJsonBody(Readable.from([bytes.subarray(0, split), bytes.subarray(split)]))).toEqual({ name: 'Zoë ✓' });
  });

  it('reads string chunks too', async () => {
    expect(await readJsonBody(Readable.from(['[1,', '2]']))).toEqual([1, 2]);
  });

  it('is undefined for an empty or blank body', async () => {
    expect(await readJsonBody(Readable.from([]))).toBeUndefined();
    expect(await readJsonBody(Readable.from([' \n\t ']))).toBeUndefined();
  });

  it('refuses malformed JSON without quoting it', async () => {
    const error = await rejection(readJsonBody(Readable.from(['{"secret":"hunter2"'])));
    expect(error.code).toBe(RelayErrorCode.INVALID_REQUEST);
    expect(error.message).toBe('The request body is not valid JSON');
  });

  it('refuses a body over the limit with 413, after reading the stream to its end', async () => {
    const stream = Readable.from([Buffer.alloc(10, 0x20), Buffer.alloc(10, 0x20), Buffer.from('{}')]);
    const error = await rejection(readJsonBody(stream, 15));
    expect(error.code).toBe(RelayErrorCode.PAYLOAD_TOO_LARGE);
    expect(stream.readableEnded).toBe(true);
  });

  it('accepts a body of exactly the limit', async () => {
    const body = `"${'a'.repeat(MAX_RELAY_BODY_BYTES - 2)}"`;
    expect(await readJsonBody(Readable.from([body]))).toHaveLength(MAX_RELAY_BODY_BYTES - 2);
    await expect(readJsonBody(Readable.from([`${body} `]))).rejects.toMatchObject({ code: RelayErrorCode.PAYLOAD_TOO_LARGE });
  });
});

describe('parseJsonBody', () => {
  it('parses, treats blank as undefined, and counts bytes (not characters) against the limit', () => {
    expect(parseJsonBody('{"a":1}')).toEqual({ a: 1 });
    expect(parseJsonBody('null')).toBeNull();
    expect(parseJsonBody('   ')).toBeUndefined();
    expectRelayError(() => parseJsonBody('"ééé"', 6), RelayErrorCode.PAYLOAD_TOO_LARGE);
    expectRelayError(() => parseJsonBody('{', 6), RelayErrorCode.INVALID_REQUEST);
  });
});

describe('parsedBody', () => {
  it('takes objects as parsed and parses text and bytes another parser left', () => {
    const object = { a: 1 };
    expect(parsedBody(object)).toBe(object);
    expect(parsedBody(undefined)).toBeUndefined();
    expect(parsedBody('{"a":1}')).toEqual(object);
    expect(parsedBody(Buffer.from('{"a":1}'))).toEqual(object);
    expect(parsedBody(new Uint8Array(Buffer.from(' ')))).toBeUndefined();
    expectRelayError(() => parsedBody('{'), RelayErrorCode.INVALID_REQUEST);
  });
});

describe('assertDeclaredLength', () => {
  it('refuses a declared length over the limit and ignores absent or junk values', () => {
    expectRelayError(() => assertDeclaredLength(String(MAX_RELAY_BODY_BYTES + 1)), RelayErrorCode.PAYLOAD_TOO_LARGE);
    expect(() => assertDeclaredLength(String(MAX_RELAY_BODY_BYTES))).not.toThrow();
    expect(() => assertDeclaredLength(undefined)).not.toThrow();
    expect(() => assertDeclaredLength('-1')).not.toThrow();
    expect(() => assertDeclaredLength('12abc')).not.toThrow();
  });
});
