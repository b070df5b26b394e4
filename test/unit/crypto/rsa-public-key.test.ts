import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { RelayErrorCode, isRelayError } from '../../../src/core/errors.js';
import { parseRsaPublicKeySpki } from '../../../src/core/crypto/index.js';
import {
  RSASSA_PSS_ALGORITHM,
  derElement,
  encodeRsaSpki,
  hex,
  splitSpki,
  testRsaKey,
  toHex,
  withAlgorithm,
  type TestRsaKey,
} from './helpers/rsa-fixtures.js';

function expectInvalidKey(der: Uint8Array, reason?: string): void {
  let caught: unknown;
  try {
    parseRsaPublicKeySpki(der);
  } catch (error) {
    caught = error;
  }
  expect(isRelayError(caught, RelayErrorCode.INVALID_KEY), String(caught)).toBe(true);
  if (reason) expect((caught as { context: { reason: string } }).context.reason).toBe(reason);
}

/** An odd modulus of exactly `bits` bits (not a real RSA modulus; parsing does not factor). */
function oddModulus(bits: number): bigint {
  return (1n << BigInt(bits - 1)) | 0xabcdefn | 1n;
}

describe('parseRsaPublicKeySpki', () => {
  let rsa2048: TestRsaKey;
  beforeAll(async () => {
    rsa2048 = await testRsaKey(2048);
  });

  it('accepts an rsaEncryption SPKI and keeps it byte for byte', () => {
    const info = parseRsaPublicKeySpki(rsa2048.spki);
    expect(info.modulusBits).toBe(2048);
    expect(info.modulusBytes).toBe(256);
    expect(info.publicExponent).toBe(65537n);
    expect(toHex(info.spki)).toBe(toHex(rsa2048.spki));
    expect(toHex(info.spki).startsWith('30820122300d06092a864886f70d01010105000382010f00')).toBe(true);
    const jwk = createPublicKey({ key: Buffer.from(rsa2048.spki), format: 'der', type: 'spki' }).export({ format: 'jwk' });
    expect(info.modulus).toBe(BigInt(`0x${Buffer.from(jwk.n!, 'base64url').toString('hex')}`));
  });

  it('rewrites an id-RSASSA-PSS SPKI without parameters to rsaEncryption', () => {
    const pss = withAlgorithm(rsa2048.spki, RSASSA_PSS_ALGORITHM);
    expect(toHex(pss).includes('06092a864886f70d01010a')).toBe(true);
    const info = parseRsaPublicKeySpki(pss);
    expect(toHex(info.spki)).toBe(toHex(rsa2048.spki));
  });

  it('rewrites an RSASSA-PSS key with SHA-384 parameters, as node:crypto generates it', () => {
    const { publicKey } = generateKeyPairSync('rsa-pss', {
      modulusLength: 2048,
      hashAlgorithm: 'sha384',
      mgf1HashAlgorithm: 'sha384',
    });
    const der = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
    expect(toHex(der).includes('06092a864886f70d01010a30')).toBe(true); // PSS OID followed by a parameters SEQUENCE
    const info = parseRsaPublicKeySpki(der);
    expect(toHex(info.spki).startsWith('30820122300d06092a864886f70d01010105000382010f00')).toBe(true);
    const reimported = createPublicKey({ key: Buffer.from(info.spki), format: 'der', type: 'spki' });
    expect(reimported.asymmetricKeyType).toBe('rsa');
    expect(reimported.asymmetricKeyDetails?.modulusLength).toBe(2048);
    // The public-key BIT STRING is carried over unchanged.
    expect(toHex(der).endsWith(toHex(splitSpki(info.spki).bitString))).toBe(true);
  });

  it('accepts rsaEncryption with absent parameters', () => {
    const info = parseRsaPublicKeySpki(withAlgorithm(rsa2048.spki, hex('300b06092a864886f70d010101')));
    expect(toHex(info.spki)).toBe(toHex(rsa2048.spki));
  });

  it('accepts 3072- and 4096-bit moduli and any odd exponent from 3', () => {
    expect(parseRsaPublicKeySpki(encodeRsaSpki(oddModulus(3072), 3n)).modulusBytes).toBe(384);
    const info = parseRsaPublicKeySpki(encodeRsaSpki(oddModulus(4096), (1n << 64n) - 1n));
    expect(info.modulusBits).toBe(4096);
    expect(info.modulusBytes).toBe(512);
  });

  it('rejects moduli outside 2048–4096 bits, generated or built', async () => {
    const rsa1024 = await testRsaKey(1024);
    expectInvalidKey(rsa1024.spki, 'modulus-size');
    expectInvalidKey(encodeRsaSpki(oddModulus(2047), 65537n), 'modulus-size');
    expectInvalidKey(encodeRsaSpki(oddModulus(4097), 65537n), 'modulus-size');
    expectInvalidKey(encodeRsaSpki(oddModulus(8192), 65537n), 'modulus-size');
  });

  it('rejects bad public exponents and an even modulus', () => {
    for (const e of [1n, 2n, 65536n, 1n << 64n, (1n << 64n) + 1n]) expectInvalidKey(encodeRsaSpki(oddModulus(2048), e), 'public-exponent');
    expectInvalidKey(encodeRsaSpki(oddModulus(2048) - 1n, 65537n), 'modulus');
  });

  it('rejects keys that are not RSA', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
    const ed = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' });
    expectInvalidKey(new Uint8Array(ec), 'unsupported-algorithm');
    expectInvalidKey(new Uint8Array(ed), 'unsupported-algorithm');
    // rsaEncryption with non-NULL parameters
    expectInvalidKey(withAlgorithm(rsa2048.spki, hex('300f06092a864886f70d0101010402abcd')), 'malformed');
  });

  it('rejects garbage and malformed DER', () => {
    const spki = rsa2048.spki;
    const malformed: Uint8Array[] = [
      new Uint8Array(0),
      hex('00'),
      hex('3000'),
      new Uint8Array(300).fill(0x41),
      spki.subarray(0, spki.length - 1), // truncated
      Uint8Array.from([...spki, 0x00]), // trailing byte
      Uint8Array.from([0x30, 0x83, 0x00, 0x01, 0x22, ...spki.subarray(4)]), // non-minimal length
      Uint8Array.from([0x30, 0x80, ...spki.subarray(4), 0x00, 0x00]), // indefinite length (BER)
      derElement(0x30, Uint8Array.from([...spki.subarray(4, 19), 0x03, 0x03, 0x01, 0x30, 0x00])), // unused bits in the BIT STRING
      encodeRsaSpki(oddModulus(2048), 65537n).map((byte, i, all) => (i === all.length - 6 ? 0x04 : byte)), // INTEGER tag changed
    ];
    for (const der of malformed) expectInvalidKey(der);
    expectInvalidKey(spki.subarray(0, 40), 'malformed');
  });

  it('rejects a negative or non-minimal modulus INTEGER', () => {
    const modulus = oddModulus(2048).toString(16);
    const bitString = (n: string) =>
      derElement(0x03, Uint8Array.from([0, ...derElement(0x30, Uint8Array.from([...derElement(0x02, hex(n)), ...hex('0203010001')]))]));
    const spkiWith = (n: string) => derElement(0x30, Uint8Array.from([...hex('300d06092a864886f70d0101010500'), ...bitString(n)]));
    expect(parseRsaPublicKeySpki(spkiWith(`00${modulus}`)).modulusBits).toBe(2048);
    expectInvalidKey(spkiWith(modulus), 'malformed'); // top bit set without a leading zero: negative
    expectInvalidKey(spkiWith(`0000${modulus}`), 'malformed');
  });

  it('throws TypeError for a non-Uint8Array argument', () => {
    expect(() => parseRsaPublicKeySpki('MIIB' as unknown as Uint8Array)).toThrow(TypeError);
  });
});
