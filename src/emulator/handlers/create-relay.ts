/** `POST /api/privacy/v1/relays`: creates a relay. */
import { randomUUID, type KeyObject } from 'node:crypto';
import { bodyObject, type ApiRequest, type EmulatorContext } from '../context.js';
import { randomAlphanumeric } from '../encoding.js';
import { invalid, readClaimType, readField, readSandboxFlag, type FieldRead } from '../fields.js';
import { RELAY_SESSION_MS, type Relay } from '../relays.js';
import { parameterError, type EmulatorResponse } from '../responses.js';
import { readRelayPublicKey } from '../rsa.js';
import { issueSessionToken } from '../session-token.js';
import { invalidJson, success } from './common.js';

export async function createRelay(context: EmulatorContext, request: ApiRequest): Promise<EmulatorResponse> {
  const body = bodyObject(request);
  if (!body) return invalidJson();
  const claimType = readClaimType(body);
  if (!claimType.ok) return claimType.response;
  const encryptionKey = readEncryptionKey(body);
  if (!encryptionKey.ok) return encryptionKey.response;
  const sandbox = readSandboxFlag(body);
  if (!sandbox.ok) return sandbox.response;

  const environment = sandbox.value ? 'sandbox' : 'production';
  // The pair's signing key exists before the relay does, so every 401 of this relay can carry a challenge
  // synchronously (redemption must not yield between its checks).
  await context.keys.ensure(environment, claimType.value);
  const createdAt = context.clock.now();
  const accessToken = await issueSessionToken(
    `relsess_${randomAlphanumeric(27)}`,
    Math.floor(createdAt / 1000),
    RELAY_SESSION_MS / 1000,
  );
  const { autoComplete } = context.options;
  const relay: Relay = {
    token: `relay_${randomAlphanumeric(27)}`,
    secret: randomUUID(),
    accessToken,
    claimType: claimType.value,
    environment,
    createdAt,
    encryptionKey: encryptionKey.value,
    outcome: sandbox.value ? 'passed' : autoComplete === 'off' ? undefined : autoComplete,
    methodology: [],
  };
  context.state.relays.add(relay);
  return success(request, {
    'relay-token': relay.token,
    'relay-secret': relay.secret,
    'relay-session-access-token': relay.accessToken,
  });
}

/** `encryption-key-pem`: the key is required, its value `null` (plaintext) or an RSA public key PEM. */
function readEncryptionKey(body: Record<string, unknown>): FieldRead<KeyObject | undefined> {
  const read = readField(body, 'encryption-key-pem');
  if (!read.ok) return read;
  if (read.value === undefined) {
    const details = 'encryption-key-pem is required (null for plaintext claims).';
    return { ok: false, response: parameterError('missing_parameter', 'encryption-key-pem', details) };
  }
  if (read.value === null) return { ok: true, value: undefined };
  const key = typeof read.value === 'string' ? readRelayPublicKey(read.value) : undefined;
  if (!key) return invalid('encryption-key-pem', 'encryption-key-pem must be a PEM RSA public key of 2048-4096 bits.');
  return { ok: true, value: key };
}
