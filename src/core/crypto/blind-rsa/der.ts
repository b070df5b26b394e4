/**
 * Just enough DER (X.690) to read and rewrite a SubjectPublicKeyInfo.
 *
 * The reader is strict on purpose: definite, minimal lengths and single-byte
 * tags only. A token key that needs anything more is not one Persona sends,
 * and leniency here would let two different byte strings name the same key.
 */

/** Universal tags used by SubjectPublicKeyInfo and RSAPublicKey. */
export const DerTag = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  NULL: 0x05,
  OBJECT_IDENTIFIER: 0x06,
  SEQUENCE: 0x30,
} as const;

/** One decoded tag-length-value element. */
export interface DerElement {
  readonly tag: number;
  /** The value bytes (a view into the input). */
  readonly contents: Uint8Array;
  /** The whole element, tag and length included (a view into the input). */
  readonly encoded: Uint8Array;
}

/**
 * Thrown by {@link readDerElement} and {@link readDerSequence}; callers turn it into their own error.
 */
export class DerFormatError extends Error {
  override readonly name = 'DerFormatError';
}

/**
 * Reads the element starting at `offset`.
 *
 * @throws DerFormatError when the bytes are not a well-formed DER element
 */
export function readDerElement(bytes: Uint8Array, offset: number): DerElement {
  if (offset + 2 > bytes.length) throw new DerFormatError('truncated element header');
  const tag = bytes[offset];
  // 0x1f in the low bits announces a multi-byte tag, which no SPKI field uses.
  if ((tag & 0x1f) === 0x1f) throw new DerFormatError('multi-byte tags are not supported');
  const first = bytes[offset + 1];
  let length: number;
  let headerLength: number;
  if (first < 0x80) {
    length = first;
    headerLength = 2;
  } else {
    const lengthBytes = first & 0x7f;
    // 0x80 is BER's indefinite length; more than 3 length bytes would describe >16 MiB.
    if (lengthBytes === 0 || lengthBytes > 3) throw new DerFormatError('unsupported length encoding');
    if (offset + 2 + lengthBytes > bytes.length) throw new DerFormatError('truncated length');
    length = 0;
    for (let i = 0; i < lengthBytes; i++) length = length * 256 + bytes[offset + 2 + i];
    if (bytes[offset + 2] === 0 || length < 0x80) throw new DerFormatError('non-minimal length');
    headerLength = 2 + lengthBytes;
  }
  const end = offset + headerLength + length;
  if (end > bytes.length) throw new DerFormatError('element runs past the end of its container');
  return {
    tag,
    contents: bytes.subarray(offset + headerLength, end),
    encoded: bytes.subarray(offset, end),
  };
}

/**
 * Reads `bytes` as a concatenation of elements that fills it exactly (the
 * contents of a SEQUENCE, or a whole document).
 *
 * @throws DerFormatError when an element is malformed
 */
export function readDerSequence(bytes: Uint8Array): DerElement[] {
  const elements: DerElement[] = [];
  for (let offset = 0; offset < bytes.length; ) {
    const element = readDerElement(bytes, offset);
    elements.push(element);
    offset += element.encoded.length;
  }
  return elements;
}

/** Encodes a SEQUENCE around already-encoded elements. */
export function encodeDerSequence(encodedElements: readonly Uint8Array[]): Uint8Array {
  const contentLength = encodedElements.reduce((sum, element) => sum + element.length, 0);
  const header = [DerTag.SEQUENCE, ...encodeDerLength(contentLength)];
  const out = new Uint8Array(header.length + contentLength);
  out.set(header, 0);
  let offset = header.length;
  for (const element of encodedElements) {
    out.set(element, offset);
    offset += element.length;
  }
  return out;
}

function encodeDerLength(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return [0x80 | bytes.length, ...bytes];
}
