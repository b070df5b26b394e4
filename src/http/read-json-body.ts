import type { IncomingMessage } from 'node:http';
import { RelayError, RelayErrorCode } from '../core/errors.js';

/** Largest request body the relay routes accept: their bodies are tiny. */
export const MAX_RELAY_BODY_BYTES = 16 * 1024;

/**
 * Reads and parses a JSON request body (`undefined` when empty). Oversized or
 * malformed bodies are refused with `RelayError(INVALID_REQUEST)`; the
 * request stream is drained either way so the connection stays usable.
 */
export async function readJsonBody(request: IncomingMessage, maxBytes = MAX_RELAY_BODY_BYTES): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) tooLarge = true;
    else chunks.push(chunk);
  }
  if (tooLarge) throw tooLargeError(maxBytes);
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
    throw new RelayError(RelayErrorCode.INVALID_REQUEST, 'The request body is not valid JSON');
  }
}

function tooLargeError(maxBytes: number): RelayError {
  return new RelayError(RelayErrorCode.PAYLOAD_TOO_LARGE, `The request body is larger than ${maxBytes} bytes`);
}
