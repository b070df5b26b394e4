/**
 * RFC 9474 Appendix A vectors against both engines.
 *
 * Persona's suite is A.1's (SHA-384, MGF1-SHA-384, 48-byte salt) without
 * `Prepare`: the engines blind exactly the message given, so A.1 is
 * reproduced by blinding `input_msg` (prefix included) with the vector's salt
 * and r = inv⁻¹ mod n. A.3 uses the same salt length without a prefix.
 * A.2 and A.4 use a zero-length salt, which is not Persona's suite and which
 * the engines do not offer; for those only the EMSA-PSS encoding is checked.
 */
import { constants, createPrivateKey, createPublicKey, privateDecrypt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emsaPssEncodeSha384 } from '../../src/core/crypto/blind-rsa/emsa-pss.js';
import { BlindRsaTsEngine, NodeCryptoBlindRsaEngine, type BlindRsaEngine } from '../../src/core/crypto/index.js';
import { bigintFromHex, bigintToFixedBytes, fixedRandomSource, hex, invertMod, toHex } from '../unit/crypto/helpers/rsa-fixtures.js';

interface Rfc9474Vector {
  name: string;
  p: string;
  q: string;
  n: string;
  e: string;
  d: string;
  msg: string;
  msg_prefix: string;
  input_msg: string;
  sLen: string;
  salt: string;
  encoded_msg?: string;
  is_randomized: string;
  inv: string;
  blinded_msg: string;
  blind_sig: string;
  sig: string;
}

// CI runs in a clone with `shared/` beside the repository.
const vectors = JSON.parse(readFileSync(resolve(process.cwd(), '../shared/vectors/rfc9474.json'), 'utf8')) as Rfc9474Vector[];

const K = 512; // all four vectors use one 4096-bit key

function b64url(value: bigint): string {
  return Buffer.from(bigintToFixedBytes(value, Math.ceil(value.toString(16).length / 2))).toString('base64url');
}

function keysOf(vector: Rfc9474Vector) {
  const [n, e, d, p, q] = [vector.n, vector.e, vector.d, vector.p, vector.q].map(bigintFromHex) as [bigint, bigint, bigint, bigint, bigint];
  const jwk = { kty: 'RSA', n: b64url(n), e: b64url(e) };
  const spki = new Uint8Array(createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'der' }));
  const privateKey = createPrivateKey({
    key: { ...jwk, d: b64url(d), p: b64url(p), q: b64url(q), dp: b64url(d % (p - 1n)), dq: b64url(d % (q - 1n)), qi: b64url(invertMod(q, p)) },
    format: 'jwk',
  });
  const r = bigintToFixedBytes(invertMod(bigintFromHex(vector.inv), n), K);
  return { spki, privateKey, r };
}

const engines: Array<[string, (vector: Rfc9474Vector) => BlindRsaEngine]> = [
  ['blindrsa-ts', (vector) => new BlindRsaTsEngine({ workers: 1, randomSource: fixedRandomSource(hex(vector.salt), keysOf(vector).r) })],
  ['node-crypto', (vector) => new NodeCryptoBlindRsaEngine({ randomSource: fixedRandomSource(hex(vector.salt), keysOf(vector).r) })],
];

const opened: BlindRsaEngine[] = [];
afterAll(() => Promise.all(opened.map((engine) => engine.close())));

describe('RFC 9474 vectors file', () => {
  it('holds the four Appendix A variants in RFC order', () => {
    expect(vectors.map((vector) => vector.name)).toEqual([
      'RSABSSA-SHA384-PSS-Randomized',
      'RSABSSA-SHA384-PSSZERO-Randomized',
      'RSABSSA-SHA384-PSS-Deterministic',
      'RSABSSA-SHA384-PSSZERO-Deterministic',
    ]);
  });
});

for (const index of [0, 2]) {
  const vector = vectors[index]!;
  describe(`${vector.name} (A.${index + 1}), salt length 48`, () => {
    it('the signer side holds: blinded_msg^d mod n == blind_sig', () => {
      const { privateKey } = keysOf(vector);
      const blindSig = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, hex(vector.blinded_msg));
      expect(toHex(blindSig)).toBe(vector.blind_sig);
    });

    if (vector.encoded_msg !== undefined) {
      it('EMSA-PSS-ENCODE gives encoded_msg', () => {
        expect(toHex(emsaPssEncodeSha384(hex(vector.input_msg), 4095, hex(vector.salt)))).toBe(vector.encoded_msg);
      });
    }

    for (const [engineName, createEngine] of engines) {
      it(`${engineName}: blind(input_msg) gives blinded_msg and finalize(blind_sig) gives sig`, async () => {
        const engine = createEngine(vector);
        opened.push(engine);
        const { spki } = keysOf(vector);
        const { blindedMessage, state } = await engine.blind(spki, hex(vector.input_msg));
        expect(toHex(blindedMessage)).toBe(vector.blinded_msg);
        const signature = await engine.finalize(state, hex(vector.blind_sig));
        expect(toHex(signature)).toBe(vector.sig);
      });
    }
  });
}

for (const index of [1, 3]) {
  const vector = vectors[index]!;
  // sLen 0 is not Persona's suite; the engines fix the salt at 48 bytes. The encoding layer is generic.
  it(`${vector.name} (A.${index + 1}): EMSA-PSS-ENCODE with an empty salt gives encoded_msg`, () => {
    expect(toHex(emsaPssEncodeSha384(hex(vector.input_msg), 4095, new Uint8Array(0)))).toBe(vector.encoded_msg);
  });
}
