import { describe, expect, it } from 'vitest';
import { RelayErrorCode, isRelayError, type RelayErrorCodeValue } from '../../../src/core/errors.js';
import { SecretBox } from '../../../src/core/crypto/index.js';

const AD = 'persona_relay_relay_secret/7f1c/relay_token';

function reasonOf(run: () => unknown, code: RelayErrorCodeValue = RelayErrorCode.DECRYPTION_FAILED): string {
  try {
    run();
  } catch (error) {
    expect(isRelayError(error, code), String(error)).toBe(true);
    return (error as { context: { reason: string } }).context.reason;
  }
  throw new Error('expected a RelayError');
}

/** Flips one bit in the decoded bytes of part `index` of a sealed string. */
function tamper(sealed: string, index: number): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[index]!, 'base64url');
  bytes[0]! ^= 0x01;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

describe('SecretBox', () => {
  const k1 = SecretBox.generateKey();
  const k2 = SecretBox.generateKey();
  const box = new SecretBox({ keys: { k1 }, currentKeyId: 'k1' });

  it('round-trips text and bytes in the documented compact format', () => {
    const sealed = box.seal('relay-token-123', AD);
    expect(sealed).toMatch(/^v1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(box.openText(sealed, AD)).toBe('relay-token-123');
    const bytes = Uint8Array.of(0, 1, 2, 255);
    expect([...box.open(box.seal(bytes, AD), AD)]).toEqual([0, 1, 2, 255]);
    expect(box.openText(box.seal('', AD), AD)).toBe('');
    expect(box.openText(box.seal('ünïcødé ✓', AD), AD)).toBe('ünïcødé ✓');
  });

  it('uses a fresh IV each time', () => {
    const a = box.seal('same', AD);
    const b = box.seal('same', AD);
    expect(a).not.toBe(b);
    expect(a.split('.')[2]).not.toBe(b.split('.')[2]);
  });

  it('fails with the wrong associated data (a value moved to another row or column)', () => {
    const sealed = box.seal('secret', AD);
    expect(reasonOf(() => box.open(sealed, 'persona_relay_relay_secret/8a2d/relay_token'))).toBe('authentication-failed');
    expect(reasonOf(() => box.open(sealed, 'persona_relay_relay_secret/7f1c/relay_secret'))).toBe('authentication-failed');
  });

  it('fails when the IV, ciphertext or tag is tampered with', () => {
    const sealed = box.seal('secret value', AD);
    for (const index of [2, 3, 4]) expect(reasonOf(() => box.open(tamper(sealed, index), AD))).toBe('authentication-failed');
  });

  it('never reveals plaintext in the error', () => {
    const sealed = box.seal('top-secret-plaintext', AD);
    let caught: unknown;
    try {
      box.open(tamper(sealed, 4), AD);
    } catch (error) {
      caught = error;
    }
    expect(isRelayError(caught, RelayErrorCode.DECRYPTION_FAILED)).toBe(true);
    const { message, context, cause } = caught as Error & { context: unknown };
    expect(JSON.stringify({ message, context, cause: String(cause) })).not.toContain('top-secret');
  });

  it('fails for an unknown key id, and for a key id swapped to another held key', () => {
    const other = new SecretBox({ keys: { k2 }, currentKeyId: 'k2' });
    expect(reasonOf(() => other.open(box.seal('x', AD), AD))).toBe('unknown-key-id');
    const both = new SecretBox({ keys: { k1, k2 }, currentKeyId: 'k1' });
    const relabelled = both.seal('x', AD).replace(/^v1\.k1\./, 'v1.k2.');
    expect(reasonOf(() => both.open(relabelled, AD))).toBe('authentication-failed');
  });

  it('rotates: old values still open, new values use the current key id', () => {
    const sealedWithK1 = box.seal('old secret', AD);
    const rotated = new SecretBox({ keys: { k1, k2 }, currentKeyId: 'k2' });
    expect(rotated.currentKeyId).toBe('k2');
    expect(rotated.openText(sealedWithK1, AD)).toBe('old secret');
    const sealedWithK2 = rotated.seal('new secret', AD);
    expect(sealedWithK2.startsWith('v1.k2.')).toBe(true);
    expect(reasonOf(() => box.open(sealedWithK2, AD))).toBe('unknown-key-id');
  });

  it('rejects malformed sealed strings', () => {
    const [v, id, iv, ct, tag] = box.seal('secret', AD).split('.') as [string, string, string, string, string];
    const malformed = [
      '',
      'v1',
      [v, id, iv, ct].join('.'),
      [v, id, iv, ct, tag, 'extra'].join('.'),
      ['v2', id, iv, ct, tag].join('.'),
      [v, 'bad id!', iv, ct, tag].join('.'),
      [v, id, iv.slice(0, -2), ct, tag].join('.'), // IV too short
      [v, id, iv, ct, tag.slice(0, -3)].join('.'), // tag too short
      [v, id, `${iv}=`, ct, tag].join('.'), // padding
      [v, id, iv, `${ct}*`, tag].join('.'), // character outside the alphabet
      [v, id, iv, ct.replace(/[A-Za-z]/, '+'), tag].join('.'), // standard alphabet
    ];
    for (const sealed of malformed) expect(reasonOf(() => box.open(sealed, AD)), sealed).toBe('malformed');
  });

  it('openText rejects plaintext that is not UTF-8', () => {
    expect(reasonOf(() => box.openText(box.seal(Uint8Array.of(0xff, 0xfe), AD), AD))).toBe('not-utf8');
  });

  it('validates keys and key ids', () => {
    expect(reasonOf(() => new SecretBox({ keys: { k1: new Uint8Array(16) }, currentKeyId: 'k1' }), RelayErrorCode.INVALID_KEY)).toBe('key-length');
    expect(reasonOf(() => new SecretBox({ keys: { k1: new Uint8Array(33) }, currentKeyId: 'k1' }), RelayErrorCode.INVALID_KEY)).toBe('key-length');
    expect(reasonOf(() => new SecretBox({ keys: { 'k.1': k1 }, currentKeyId: 'k.1' }), RelayErrorCode.INVALID_KEY)).toBe('key-id');
    expect(reasonOf(() => new SecretBox({ keys: { k1 }, currentKeyId: 'k2' }), RelayErrorCode.INVALID_KEY)).toBe('current-key-id');
    expect(reasonOf(() => new SecretBox({ keys: {}, currentKeyId: 'k1' }), RelayErrorCode.INVALID_KEY)).toBe('current-key-id');
    expect(() => new SecretBox({ keys: { k1: 'abc' as unknown as Uint8Array }, currentKeyId: 'k1' })).toThrow(TypeError);
    expect(() => new SecretBox(undefined as never)).toThrow(TypeError);
  });

  it('copies keys: later changes to the caller’s array do not matter', () => {
    const key = SecretBox.generateKey();
    const own = new SecretBox({ keys: { a: key }, currentKeyId: 'a' });
    const sealed = own.seal('x', AD);
    key.fill(0);
    expect(own.openText(sealed, AD)).toBe('x');
  });

  it('throws TypeError for missing associated data or wrong argument types', () => {
    expect(() => box.seal('x', '')).toThrow(TypeError);
    expect(() => box.seal(42 as never, AD)).toThrow(TypeError);
    expect(() => box.open(undefined as never, AD)).toThrow(TypeError);
    expect(() => box.open(box.seal('x', AD), undefined as never)).toThrow(TypeError);
  });

  describe('fromBase64Keys', () => {
    it('accepts standard and url-safe base64, padded or not', () => {
      const key = SecretBox.generateKey();
      const standard = Buffer.from(key).toString('base64');
      const urlSafe = Buffer.from(key).toString('base64url');
      const a = SecretBox.fromBase64Keys({ a: standard }, 'a');
      const b = SecretBox.fromBase64Keys({ a: urlSafe, old: Buffer.from(k1).toString('base64') }, 'a');
      expect(b.openText(a.seal('same key', AD), AD)).toBe('same key');
    });

    it('rejects values that are not base64 or not 32 bytes, without echoing them', () => {
      let caught: unknown;
      try {
        SecretBox.fromBase64Keys({ a: 'not base64 at all!' }, 'a');
      } catch (error) {
        caught = error;
      }
      expect(isRelayError(caught, RelayErrorCode.INVALID_KEY)).toBe(true);
      expect(JSON.stringify((caught as { context: unknown }).context) + (caught as Error).message).not.toContain('not base64 at all');
      expect(reasonOf(() => SecretBox.fromBase64Keys({ a: Buffer.alloc(31).toString('base64') }, 'a'), RelayErrorCode.INVALID_KEY)).toBe('key-length');
      expect(() => SecretBox.fromBase64Keys({ a: 5 as never }, 'a')).toThrow(TypeError);
    });
  });

  it('generateKey returns 32 fresh random bytes', () => {
    const a = SecretBox.generateKey();
    expect(a).toBeInstanceOf(Uint8Array);
    expect(a.length).toBe(32);
    expect(Buffer.from(a).equals(Buffer.from(SecretBox.generateKey()))).toBe(false);
  });
});
