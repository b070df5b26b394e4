import { describe, expect, it } from 'vitest';
import { DerFormatError, encodeDerSequence, readDerElement, readDerSequence } from '../../../src/core/crypto/blind-rsa/der.js';
import { hex, toHex } from './helpers/rsa-fixtures.js';

describe('DER reader', () => {
  it('reads short- and long-form lengths', () => {
    const short = readDerElement(hex('0500'), 0);
    expect(short.tag).toBe(0x05);
    expect(short.contents.length).toBe(0);
    const long = readDerElement(Uint8Array.from([0x04, 0x81, 0x80, ...new Uint8Array(0x80)]), 0);
    expect(long.contents.length).toBe(0x80);
    expect(long.encoded.length).toBe(0x83);
  });

  it('rejects non-DER encodings', () => {
    const bad = [
      hex('05'), // truncated header
      hex('0481050000'), // long form for a short length
      hex('048200800000'), // leading zero length byte
      hex('3080'), // indefinite length
      hex('0485000000000100'), // 5 length bytes
      hex('0403abcd'), // runs past the end
      hex('1f0100'), // multi-byte tag
    ];
    for (const bytes of bad) expect(() => readDerElement(bytes, 0), toHex(bytes)).toThrow(DerFormatError);
  });

  it('splits a concatenation and encodes sequences with minimal lengths', () => {
    expect(readDerSequence(hex('05000201ff')).map((element) => element.tag)).toEqual([0x05, 0x02]);
    expect(toHex(encodeDerSequence([hex('0500')]))).toBe('30020500');
    const big = encodeDerSequence([new Uint8Array(300)]);
    expect(toHex(big.subarray(0, 4))).toBe('3082012c');
    expect(readDerElement(big, 0).contents.length).toBe(300);
  });
});
