/**
 * Reading request bodies under a size cap. Every body the emulator accepts is a few kilobytes at most (the largest
 * is a 4096-bit PEM key), so a larger one is refused rather than held in memory: a client streaming hundreds of
 * megabytes must not be able to grow the process without bound.
 */
import type { IncomingMessage } from 'node:http';

/** Largest body accepted, in bytes: far above any real request, far below what would strain a developer's machine. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** The body's bytes, or `too-large` once more than the cap arrived (or was announced). */
export type BodyRead = { readonly kind: 'body'; readonly bytes: Buffer } | { readonly kind: 'too-large' };

/**
 * Reads `req`'s body, keeping at most `maxBytes`. A `Content-Length` above the cap is refused before reading; a
 * longer body without one is refused as soon as the count passes the cap, and reading stops there (the caller
 * answers 413 and closes the connection). A client that disconnects mid-body gets its request processed with what
 * arrived (the response goes nowhere).
 */
export function readCappedBody(req: IncomingMessage, maxBytes: number = MAX_BODY_BYTES): Promise<BodyRead> {
  if (Number(req.headers['content-length']) > maxBytes) return Promise.resolve({ kind: 'too-large' });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const finish = (read: BodyRead): void => {
      req.off('data', onData);
      resolve(read);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > maxBytes) {
        req.pause();
        finish({ kind: 'too-large' });
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => finish({ kind: 'body', bytes: Buffer.concat(chunks) }));
    req.on('close', () => finish({ kind: 'body', bytes: Buffer.concat(chunks) }));
    req.on('error', reject);
  });
}
