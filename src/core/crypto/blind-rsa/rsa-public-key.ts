/**
 * Reads a Privacy Pass token key: a DER SubjectPublicKeyInfo carrying an RSA
 * public key under either the rsaEncryption OID (what Persona sends) or the
 * id-RSASSA-PSS OID (what RFC 9578 specifies).
 */
import { RelayError, RelayErrorCode } from '../../errors.js';
import { bytesToBigInt } from './bigint-bytes.js';
import { DerFormatError, DerTag, encodeDerSequence, readDerSequence, type DerElement } from './der.js';

/** Smallest and largest modulus the blind RSA suite accepts in Persona's Relay protocol. */
export const MIN_MODULUS_BITS = 2048;
/**
 * See {@link MIN_MODULUS_BITS}.
 */
export const MAX_MODULUS_BITS = 4096;

/** OID 1.2.840.113549.1.1.1, contents bytes. */
const RSA_ENCRYPTION_OID = Uint8Array.of(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01);
/** OID 1.2.840.113549.1.1.10, contents bytes. */
const RSASSA_PSS_OID = Uint8Array.of(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a);
/** AlgorithmIdentifier { rsaEncryption, NULL }, the only form WebCrypto imports. */
const RSA_ENCRYPTION_ALGORITHM = Uint8Array.from(Buffer.from('300d06092a864886f70d0101010500', 'hex'));

/**
 * OpenSSL refuses public exponents above 64 bits for moduli over 3072 bits
 * (`OPENSSL_RSA_MAX_PUBEXP_BITS`); rejecting them for every size keeps the
 * behaviour independent of the key size and of the engine.
 */
const MAX_PUBLIC_EXPONENT = 1n << 64n;

/** A validated RSA token key. */
export interface RsaPublicKeyInfo {
  /** The SubjectPublicKeyInfo re-encoded with the rsaEncryption AlgorithmIdentifier (WebCrypto and node:crypto import it). */
  readonly spki: Uint8Array;
  /** Bit length of the modulus n. */
  readonly modulusBits: number;
  /** k = ceil(modulusBits / 8): the length of blinded messages and (blind) signatures. */
  readonly modulusBytes: number;
  /** The modulus n. */
  readonly modulus: bigint;
  /** The public exponent e. */
  readonly publicExponent: bigint;
}

/**
 * Parses and validates a DER SubjectPublicKeyInfo holding an RSA token key and
 * normalizes its AlgorithmIdentifier to rsaEncryption.
 *
 * Accepted: the rsaEncryption OID (parameters NULL or absent) and the
 * id-RSASSA-PSS OID with any parameters (they are dropped: the suite fixes
 * SHA-384, MGF1-SHA-384 and a 48-byte salt whatever the key says). The
 * modulus must be odd and 2048–4096 bits long. The public exponent must be
 * odd, at least 3 and below 2^64 (so below n); 65537 is not required: RFC 8017
 * allows any such exponent, and rejecting others would buy no security.
 *
 * @param der - the decoded `token-key` bytes
 * @throws RelayError `INVALID_KEY` (context `reason`: `malformed`, `unsupported-algorithm`, `modulus-size`,
 *   `modulus` or `public-exponent`) when the key is unusable
 * @throws TypeError when `der` is not a Uint8Array
 */
export function parseRsaPublicKeySpki(der: Uint8Array): RsaPublicKeyInfo {
  if (!(der instanceof Uint8Array)) throw new TypeError('parseRsaPublicKeySpki expects the DER bytes as a Uint8Array');
  const { algorithm, subjectPublicKey } = readSpki(der);
  checkAlgorithm(algorithm);
  const { modulus, publicExponent } = readRsaPublicKey(subjectPublicKey.contents);

  const modulusBits = modulus.toString(2).length;
  if (modulusBits < MIN_MODULUS_BITS || modulusBits > MAX_MODULUS_BITS) {
    throw invalidKey(`token key modulus has ${modulusBits} bits; ${MIN_MODULUS_BITS}–${MAX_MODULUS_BITS} are supported`, 'modulus-size', {
      modulusBits,
    });
  }
  if ((modulus & 1n) === 0n) throw invalidKey('token key modulus is even', 'modulus', { modulusBits });
  if ((publicExponent & 1n) === 0n || publicExponent < 3n || publicExponent >= MAX_PUBLIC_EXPONENT) {
    throw invalidKey('token key public exponent must be odd, at least 3 and below 2^64', 'public-exponent', { modulusBits });
  }

  return {
    spki: encodeDerSequence([RSA_ENCRYPTION_ALGORITHM, subjectPublicKey.encoded]),
    modulusBits,
    modulusBytes: Math.ceil(modulusBits / 8),
    modulus,
    publicExponent,
  };
}

/** SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING } */
function readSpki(der: Uint8Array): { algorithm: DerElement; subjectPublicKey: DerElement } {
  const fields = readStructure(() => {
    const [outer, ...trailing] = readDerSequence(der);
    if (outer?.tag !== DerTag.SEQUENCE || trailing.length > 0) throw new DerFormatError('not a single SEQUENCE');
    return readDerSequence(outer.contents);
  });
  const [algorithm, subjectPublicKey, ...extra] = fields;
  if (algorithm?.tag !== DerTag.SEQUENCE || subjectPublicKey?.tag !== DerTag.BIT_STRING || extra.length > 0) {
    throw invalidKey('token key is not a SubjectPublicKeyInfo', 'malformed');
  }
  return { algorithm, subjectPublicKey };
}

function checkAlgorithm(algorithm: DerElement): void {
  const [oid, parameters, ...extra] = readStructure(() => readDerSequence(algorithm.contents));
  if (oid?.tag !== DerTag.OBJECT_IDENTIFIER || extra.length > 0) {
    throw invalidKey('token key AlgorithmIdentifier is malformed', 'malformed');
  }
  if (sameBytes(oid.contents, RSASSA_PSS_OID)) return;
  if (sameBytes(oid.contents, RSA_ENCRYPTION_OID)) {
    if (parameters === undefined || (parameters.tag === DerTag.NULL && parameters.contents.length === 0)) return;
    throw invalidKey('rsaEncryption parameters must be NULL', 'malformed');
  }
  throw invalidKey('token key is not an RSA key (rsaEncryption or RSASSA-PSS)', 'unsupported-algorithm');
}

/** RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }, inside the BIT STRING. */
function readRsaPublicKey(bitString: Uint8Array): { modulus: bigint; publicExponent: bigint } {
  // The first BIT STRING octet counts unused trailing bits; a DER key has none.
  if (bitString[0] !== 0) throw invalidKey('token key BIT STRING has unused bits', 'malformed');
  const [n, e] = readStructure(() => {
    const [sequence, ...trailing] = readDerSequence(bitString.subarray(1));
    if (sequence?.tag !== DerTag.SEQUENCE || trailing.length > 0) throw new DerFormatError('not an RSAPublicKey');
    const integers = readDerSequence(sequence.contents);
    if (integers.length !== 2) throw new DerFormatError('RSAPublicKey needs exactly two integers');
    return integers.map(readPositiveInteger);
  });
  return { modulus: n, publicExponent: e };
}

function readPositiveInteger(element: DerElement): bigint {
  const bytes = element.contents;
  if (element.tag !== DerTag.INTEGER || bytes.length === 0) throw new DerFormatError('expected an INTEGER');
  if ((bytes[0] & 0x80) !== 0) throw new DerFormatError('negative INTEGER');
  // A leading zero is only allowed (and required) when the next byte has its top bit set.
  if (bytes[0] === 0 && bytes.length > 1 && (bytes[1] & 0x80) === 0) throw new DerFormatError('non-minimal INTEGER');
  return bytesToBigInt(bytes);
}

/** Runs a DER read, turning format errors into `INVALID_KEY`. */
function readStructure<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof DerFormatError) {
      throw invalidKey(`token key is not valid DER: ${error.message}`, 'malformed', {}, error);
    }
    throw error;
  }
}

function invalidKey(message: string, reason: string, context: Record<string, unknown> = {}, cause?: unknown): RelayError {
  return new RelayError(RelayErrorCode.INVALID_KEY, message, { context: { reason, ...context }, cause });
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
