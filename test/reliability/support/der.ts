/**
 * Hand-made DER for hostile token keys: an RSA SubjectPublicKeyInfo with any
 * modulus, so a test can offer a 1024- or 8192-bit "key" (or an even modulus,
 * or an exponent of 1) without generating a real key pair.
 */
import { randomBytes } from 'node:crypto';

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.of(n);
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest >>= 8) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, contents: Buffer): Buffer {
  return Buffer.concat([Buffer.of(tag), length(contents.length), contents]);
}

function integer(value: Buffer): Buffer {
  let bytes = value;
  while (bytes.length > 1 && bytes[0] === 0 && (bytes[1]! & 0x80) === 0) bytes = bytes.subarray(1);
  return tlv(0x02, (bytes[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.of(0), bytes]) : bytes);
}

const RSA_ENCRYPTION_ALGORITHM = Buffer.from('300d06092a864886f70d0101010500', 'hex');

/** DER SPKI (rsaEncryption) of an RSA public key with a random `bits`-bit modulus. */
export function rsaSpki(bits: number, options: { even?: boolean; exponent?: number } = {}): Buffer {
  const modulus = randomBytes(Math.ceil(bits / 8));
  const spare = modulus.length * 8 - bits;
  modulus[0] = (modulus[0]! & (0xff >> spare)) | (0x80 >> spare);
  const last = modulus.length - 1;
  modulus[last] = options.even ? modulus[last]! & 0xfe : modulus[last]! | 1;
  const exponent = Buffer.alloc(4);
  exponent.writeUInt32BE(options.exponent ?? 65537);
  const rsaPublicKey = tlv(0x30, Buffer.concat([integer(modulus), integer(exponent)]));
  return tlv(0x30, Buffer.concat([RSA_ENCRYPTION_ALGORITHM, tlv(0x03, Buffer.concat([Buffer.of(0), rsaPublicKey]))]));
}
