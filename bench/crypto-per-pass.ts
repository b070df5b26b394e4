/**
 * Section 1: client-side crypto per Privacy Pass (build input, blind,
 * finalize with verification) for every engine, a public peer
 * (@cloudflare/privacypass-ts doing a standard type-2 issuance), and the
 * physical limit: the raw node:crypto operations one pass cannot avoid (one
 * public-key RSA operation, one modular multiplication, one PSS verification).
 * The issuer's signature is computed outside the timed region.
 */
import { constants, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { publicVerif, TokenChallenge, TOKEN_TYPES, util as privacyPassUtil } from '@cloudflare/privacypass-ts';
import { createBlindRsaEngine } from '../src/core/crypto/index.js';
import type { BlindRsaEngine } from '../src/core/crypto/index.js';
import { buildTokenInput, generateNonce } from '../src/core/protocol/index.js';
import { QUICK, repeat, spread, type Spread } from './stats.js';

export interface PassCostRow {
  readonly bits: number;
  readonly subject: string;
  /** Milliseconds of client work per pass: median (min–max) over the repeated runs. */
  readonly msPerPass: Spread;
  /** Median ms/pass divided by the physical limit's median. */
  readonly ratioToLimit: number;
}

interface TestKey {
  readonly spki: Uint8Array;
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
  readonly modulus: bigint;
  readonly bytes: number;
}

function makeKey(bits: number): TestKey {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 0x10001 });
  const n = Buffer.from(publicKey.export({ format: 'jwk' }).n!, 'base64url');
  return {
    spki: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
    publicKey,
    privateKey,
    modulus: BigInt(`0x${n.toString('hex')}`),
    bytes: bits / 8,
  };
}

/** Persona's side: the raw RSA signature of the blinded message (not timed). */
function signBlinded(key: TestKey, blinded: Uint8Array): Uint8Array {
  return new Uint8Array(privateDecrypt({ key: key.privateKey, padding: constants.RSA_NO_PADDING }, blinded));
}

/** One timed run of `passes` passes; returns ms per pass of client work only. */
type PassRun = (passes: number) => Promise<number>;

function limitRun(key: TestKey): PassRun {
  // Inputs prepared outside the timed loop: a valid PSS signature to verify and random operands.
  const message = randomBytes(98);
  const signature = pssSign(key, message);
  const a = BigInt(`0x${randomBytes(key.bytes).toString('hex')}`) % key.modulus;
  const rBytes = Buffer.from((a >> 8n).toString(16).padStart(key.bytes * 2, '0'), 'hex');
  return async (passes) => {
    const started = performance.now();
    let sink = 0n;
    for (let i = 0; i < passes; i += 1) {
      publicEncrypt({ key: key.publicKey, padding: constants.RSA_NO_PADDING }, rBytes);
      sink ^= (a * (a + BigInt(i))) % key.modulus;
      verify('sha384', message, { key: key.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 }, signature);
    }
    if (sink === -1n) throw new Error('unreachable');
    return (performance.now() - started) / passes;
  };
}

/** A real RSASSA-PSS signature, made with the private key outside any timing. */
function pssSign(key: TestKey, message: Uint8Array): Uint8Array {
  return new Uint8Array(sign('sha384', message, { key: key.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 }));
}

/**
 * A batch of passes through an engine: all blinds at once (timed), the
 * issuer's signatures (not timed), all finalizes at once (timed). Batching
 * measures what a pass costs; timing one pass at a time would mostly measure
 * the event-loop turn each engine operation deliberately waits for.
 */
function engineRun(engine: BlindRsaEngine, key: TestKey): PassRun {
  return async (passes) => {
    let started = performance.now();
    const blinded = await Promise.all(
      Array.from({ length: passes }, () =>
        engine.blind(key.spki, buildTokenInput({ nonce: generateNonce(), mac: 'b'.repeat(64), tokenKeyId: 'c'.repeat(64) })),
      ),
    );
    let clientMs = performance.now() - started;
    const signatures = blinded.map(({ blindedMessage }) => signBlinded(key, blindedMessage));
    started = performance.now();
    await Promise.all(blinded.map(({ state }, i) => engine.finalize(state, signatures[i]!)));
    clientMs += performance.now() - started;
    return clientMs / passes;
  };
}

async function privacyPassTsRun(key: TestKey): Promise<PassRun> {
  const issuerKey = privacyPassUtil.convertEncToRSASSAPSS(key.spki);
  const challenge = new TokenChallenge(TOKEN_TYPES.BLIND_RSA.value, 'issuer.example', new Uint8Array(32), ['origin.example']);
  return async (passes) => {
    let clientMs = 0;
    for (let i = 0; i < passes; i += 1) {
      const client = new publicVerif.Client(publicVerif.BlindRSAMode.PSS);
      let started = performance.now();
      const request = await client.createTokenRequest(challenge, issuerKey);
      clientMs += performance.now() - started;
      const response = new publicVerif.TokenResponse(signBlinded(key, request.blindedMsg));
      started = performance.now();
      await client.finalize(response);
      clientMs += performance.now() - started;
    }
    return clientMs / passes;
  };
}

/** Measures every subject at 2048 and 4096 bits. */
export async function measurePassCost(): Promise<PassCostRow[]> {
  const repeats = QUICK ? 2 : 7;
  const rows: PassCostRow[] = [];
  for (const bits of [2048, 4096]) {
    const key = makeKey(bits);
    const fast = QUICK ? 20 : bits === 2048 ? 200 : 80;
    const slow = QUICK ? 3 : bits === 2048 ? 20 : 6;
    const nodeEngine = createBlindRsaEngine('node-crypto');
    const tsEngine = createBlindRsaEngine('blindrsa-ts');
    const subjects: Array<[string, PassRun, number]> = [
      ['physical limit (node:crypto ops)', limitRun(key), fast],
      ['node-crypto engine (default)', engineRun(nodeEngine, key), fast],
      ['blindrsa-ts engine (worker threads)', engineRun(tsEngine, key), slow],
    ];
    // Privacy Pass token type 2 is defined for RSA-2048 only (RFC 9578: Nk = 256).
    if (bits === 2048) subjects.push(['@cloudflare/privacypass-ts client (type 2)', await privacyPassTsRun(key), slow]);
    const measured: Array<[string, Spread]> = [];
    for (const [subject, run, passes] of subjects) {
      measured.push([subject, spread(await repeat(repeats, () => run(passes)))]);
    }
    const limit = measured[0]![1].median;
    for (const [subject, msPerPass] of measured) rows.push({ bits, subject, msPerPass, ratioToLimit: msPerPass.median / limit });
    await nodeEngine.close();
    await tsEngine.close();
  }
  return rows;
}
