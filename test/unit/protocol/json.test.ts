import { describe, expect, it } from 'vitest';
import { decodeUtf8Strict, deepFreezeJson, isJsonObject, parseJsonObject } from '../../../src/core/protocol/json.js';

describe('json helpers', () => {
  it('decodeUtf8Strict decodes UTF-8 and refuses malformed sequences', () => {
    expect(decodeUtf8Strict(new Uint8Array([0x7b, 0x7d]))).toBe('{}');
    expect(decodeUtf8Strict(Buffer.from('é€😀'))).toBe('é€😀');
    expect(decodeUtf8Strict(new Uint8Array([0xff]))).toBeUndefined();
    expect(decodeUtf8Strict(new Uint8Array([0xc3]))).toBeUndefined();
    expect(decodeUtf8Strict(new Uint8Array([0xed, 0xa0, 0x80]))).toBeUndefined(); // a lone surrogate
  });

  it('parseJsonObject distinguishes bad JSON from non-objects', () => {
    expect(parseJsonObject('{"a":1}')).toEqual({ object: { a: 1 } });
    expect(parseJsonObject('{')).toEqual({ problem: 'is not valid JSON' });
    expect(parseJsonObject('[]')).toEqual({ problem: 'is not a JSON object' });
    expect(parseJsonObject('null')).toEqual({ problem: 'is not a JSON object' });
    expect(parseJsonObject('"x"')).toEqual({ problem: 'is not a JSON object' });
  });

  it('isJsonObject accepts only non-array objects', () => {
    expect(isJsonObject({})).toBe(true);
    expect(isJsonObject([])).toBe(false);
    expect(isJsonObject(null)).toBe(false);
    expect(isJsonObject('x')).toBe(false);
  });

  it('deepFreezeJson freezes every level, even very deep nesting, without recursion', () => {
    let deep: unknown = { leaf: true };
    for (let i = 0; i < 100_000; i += 1) deep = [deep];
    const frozen = deepFreezeJson({ deep, other: { list: [{ x: 1 }] } });
    expect(Object.isFrozen(frozen.other.list[0])).toBe(true);
    let cursor: unknown = frozen.deep;
    while (Array.isArray(cursor)) {
      expect(Object.isFrozen(cursor)).toBe(true);
      cursor = cursor[0];
    }
    expect(Object.isFrozen(cursor)).toBe(true);
  });
});
