/**
 * Source of the worker thread behind {@link BlindRsaTsEngine}, kept as a
 * string and started with `new Worker(source, { eval: true })`.
 *
 * Why a string: the same code then runs under vitest (TypeScript sources, no
 * `.js` file next to this module) and from `dist/` (tsc compiles this module
 * like any other, so nothing needs copying). The script is plain JavaScript
 * with no imports of ours; it loads `@cloudflare/blindrsa-ts` from the
 * absolute URL in `workerData.blindRsaModuleUrl`, which the main thread
 * resolves from this package's location (an eval'd script would otherwise
 * resolve bare specifiers from the current directory).
 *
 * Protocol, one job at a time (the pool guarantees it):
 * - `{ op: 'blind', spki, message, randomness? }` → `{ ok: true, blindedMessage, inverse }`
 * - `{ op: 'finalize', spki, message, blindSignature, inverse }` → `{ ok: true, signature }`
 * - any failure → `{ ok: false, phase: 'key' | 'blind' | 'finalize', reason }`
 *
 * `randomness` ([salt, r]) exists for tests only: while that one job runs,
 * `crypto.getRandomValues` (the library's only source of randomness) returns
 * those values, in the order the library asks for them (salt, then r).
 */

/**
 * The worker script.
 *
 * @example
 * ```ts
 * new Worker(BLINDRSA_TS_WORKER_SOURCE, { eval: true, workerData: { blindRsaModuleUrl } });
 * ```
 */
export const BLINDRSA_TS_WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');

// A failed import rejects inside the message handler, crashes this worker, and
// the pool fails the job with a clear error.
const suiteReady = import(workerData.blindRsaModuleUrl).then((library) => library.RSABSSA.SHA384.PSS.Randomized());

// Imported CryptoKeys by SPKI; token keys rotate rarely, so a few entries suffice.
const KEY_CACHE_SIZE = 16;
const importedKeys = new Map();

function importTokenKey(spki) {
  const id = Buffer.from(spki).toString('base64');
  let key = importedKeys.get(id);
  if (key === undefined) {
    // Extractable: blindrsa-ts exports the key as a JWK to read n and e.
    key = crypto.subtle.importKey('spki', spki, { name: 'RSA-PSS', hash: 'SHA-384' }, true, ['verify']);
    if (importedKeys.size >= KEY_CACHE_SIZE) importedKeys.delete(importedKeys.keys().next().value);
    importedKeys.set(id, key);
    key.catch(() => importedKeys.delete(id));
  }
  return key;
}

async function withInjectedRandomness(values, run) {
  if (values === undefined) return run();
  const queue = values.slice();
  crypto.getRandomValues = (array) => {
    const next = queue.shift();
    if (next === undefined || next.length !== array.byteLength) throw new Error('injected randomness does not match the request');
    new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(next);
    return array;
  };
  try {
    return await run();
  } finally {
    delete crypto.getRandomValues; // back to Crypto.prototype.getRandomValues
  }
}

// A buffer of its own, so transferring it moves exactly these bytes.
function owned(bytes) {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
}

parentPort.on('message', async (job) => {
  const suite = await suiteReady;
  let key;
  try {
    key = await importTokenKey(job.spki);
  } catch (error) {
    parentPort.postMessage({ ok: false, phase: 'key', reason: String(error && error.message) });
    return;
  }
  try {
    if (job.op === 'blind') {
      const result = await withInjectedRandomness(job.randomness, () => suite.blind(key, job.message));
      const blindedMessage = owned(result.blindedMsg);
      const inverse = owned(result.inv);
      parentPort.postMessage({ ok: true, blindedMessage, inverse }, [blindedMessage.buffer, inverse.buffer]);
    } else {
      const signature = owned(await suite.finalize(key, job.message, job.blindSignature, job.inverse));
      parentPort.postMessage({ ok: true, signature }, [signature.buffer]);
    }
  } catch (error) {
    parentPort.postMessage({ ok: false, phase: job.op, reason: String(error && error.message) });
  }
});
`;
