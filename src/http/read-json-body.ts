import { RelayError, RelayErrorCode } from '../core/errors.js';

/** Largest request body the relay routes accept: their bodies are tiny. */
export const MAX_RELAY_BODY_BYTES = 16 * 1024;

/**
 * Reads and parses a JSON request body (`undefined` when empty) from the
 * request stream. Oversized or malformed bodies are refused with
 * `RelayError(PAYLOAD_TOO_LARGE)` / `RelayError(INVALID_REQUEST)`.
 *
 * Past the limit it keeps reading but stops keeping: stopping the stream
 * half-way would destroy the socket, and with it the 413 answer.
 */
export async function readJsonBody(stream: AsyncIterable<Uint8Array | string>, maxBytes = MAX_RELAY_BODY_BYTES): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    size += bytes.length;
    if (size <= maxBytes) chunks.push(bytes);
  }
  if (size > maxBytes) throw tooLargeError(maxBytes);
  return parseJsonBody(Buffer.concat(chunks).toString('utf8'), maxBytes);
}

/**
 * Parses a request body's text: `undefined` when blank,
 * `RelayError(PAYLOAD_TOO_LARGE)` past `maxBytes`, `RelayError(INVALID_REQUEST)` when not JSON.
 */
export function parseJsonBody(text: string, maxBytes = MAX_RELAY_BODY_BYTES): unknown {
  if (Buffer.byteLength(text) > maxBytes) throw tooLargeError(maxBytes);
  if (text.trim().length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // JSON.parse's message quotes the input; the caller sent it, but it has no place in logs.
    throw new RelayError(RelayErrorCode.INVALID_REQUEST, 'The request body is not valid JSON');
  }
}

/**
 * Refuses a body whose declared `Content-Length` is over the limit before a
 * byte of it is read (or after a body parser of the app already read it).
 */
export function assertDeclaredLength(contentLength: string | undefined, maxBytes = MAX_RELAY_BODY_BYTES): void {
  if (contentLength !== undefined && /^\d+$/.test(contentLength) && Number(contentLength) > maxBytes) {
    throw tooLargeError(maxBytes);
  }
}

function tooLargeError(maxBytes: number): RelayError {
  return new RelayError(RelayErrorCode.PAYLOAD_TOO_LARGE, `The request body is larger than ${maxBytes} bytes`);
}

/**
 * A body some parser of the app already read: objects are taken as parsed,
 * text and bytes (from a text or raw parser) are parsed here as JSON.
 */
export function parsedBody(body: unknown, maxBytes = MAX_RELAY_BODY_BYTES): unknown {
  if (typeof body === 'string') return parseJsonBody(body, maxBytes);
  if (body instanceof Uint8Array) return parseJsonBody(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'), maxBytes);
  return body;
}
