/**
 * `POST /api/privacy/v1/relays/{relay-token}/generate-claim`: the 401 challenge path and the redemption of a
 * Privacy Pass.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { wwwAuthenticateHeader, ORIGIN_INFO } from '../challenge.js';
import type { ApiRequest, EmulatorContext } from '../context.js';
import { fromBase64Url, parseRfc3339 } from '../encoding.js';
import { relayStatus, type Relay } from '../relays.js';
import { errorResponse, parameterError, withHeaders, type EmulatorResponse, type ErrorCode } from '../responses.js';
import { oaepEncrypt, verifyTokenSignature } from '../rsa.js';
import { buildTokenInput, decodePresentedToken, privateTokenFromAuthorization } from '../token.js';
import { success } from './common.js';
import { idempotencyKeyOf, runIdempotently } from './idempotent.js';

/** Claim types whose payload omits `methodology`. */
const CLAIM_TYPES_WITHOUT_METHODOLOGY = new Set([
  'age_over18_france',
  'age_over18_italy',
  'age_over_18_france',
  'age_over_18_italy',
]);

export async function generateClaim(context: EmulatorContext, request: ApiRequest): Promise<EmulatorResponse> {
  const relay = context.state.relays.findByToken(request.relayToken);
  if (!relay || !secretMatches(relay, request.headers['persona-relay-secret'])) {
    return errorResponse('relay_not_found', 'No relay with this token and secret.');
  }
  const token = privateTokenFromAuthorization(request.headers.authorization);
  if (!token) {
    const details = 'Present a Privacy Pass: Authorization: PrivateToken token=<pass>.';
    return unauthorized(context, relay, 'missing_private_token', details);
  }

  const key = idempotencyKeyOf(request);
  const fingerprint = [relay.token, sha256Hex(token), sha256Hex(relay.secret)].join('\n');
  const identity = key ? { scope: `generate-claim\n${key}`, key, fingerprint } : undefined;
  // Only successes are kept: a failed redemption may be retried with the same key.
  return runIdempotently(context, request, identity, (response) => response.status < 300, () =>
    redeem(context, request, relay, token),
  );
}

/**
 * Steps 4–14, synchronous from the first check to the commit, so two concurrent requests can never both spend one
 * nonce. Nothing is recorded unless the claim passed.
 */
function redeem(context: EmulatorContext, request: ApiRequest, relay: Relay, token: string): EmulatorResponse {
  const now = context.clock.now();
  const presented = decodePresentedToken(token);
  if (!presented) return unauthorized(context, relay, 'invalid_token', 'The Privacy Pass is not a well-formed token.');
  const { challenge } = presented;
  if (!context.challenges.hasValidMac(challenge)) {
    return unauthorized(context, relay, 'invalid_challenge_mac', "The token's challenge fails its MAC.");
  }
  const expiresAt = parseRfc3339(challenge.expires_at as string);
  if (expiresAt === undefined || now >= expiresAt) {
    return unauthorized(context, relay, 'challenge_expired', "The token's challenge has expired.");
  }
  if (challenge.origin_info !== ORIGIN_INFO) {
    return unauthorized(context, relay, 'invalid_origin', `The token is not valid for ${ORIGIN_INFO}.`);
  }
  const key = context.keys.byId(presented.keyId);
  if (!key) return unauthorized(context, relay, 'unknown_key_id', 'The token names an unknown key.');
  const tokenInput = buildTokenInput(presented.tokenNonce, challenge.mac as string, presented.keyId);
  const signature = fromBase64Url(presented.signature) ?? Buffer.alloc(0);
  if (!verifyTokenSignature(key, tokenInput, signature)) {
    return unauthorized(context, relay, 'invalid_token', "The token's signature does not verify.");
  }
  if (context.state.isSpent(key.id, presented.tokenNonce)) {
    context.state.countDoubleSpendRejected();
    return unauthorized(context, relay, 'token_already_redeemed', 'This Privacy Pass has already been redeemed.');
  }
  if (key.environment !== relay.environment) {
    const details = `The pass is a ${key.environment} pass; the relay is a ${relay.environment} relay.`;
    return errorResponse('environment_mismatch', details);
  }
  if (key.claimType !== relay.claimType) {
    return errorResponse('claim_type_mismatch', `The pass is for ${key.claimType}; the relay is ${relay.claimType}.`);
  }
  const status = relayStatus(relay, now);
  if (status === 'expired') return errorResponse('relay_expired', 'The relay session expired before it was completed.');
  if (status === 'pending') return errorResponse('relay_not_completed', 'The relay has not been completed yet.');

  // Sandbox claims always pass, whatever was recorded at completion.
  const claimResult = relay.environment === 'sandbox' ? 'passed' : (relay.outcome ?? 'failed');
  const methodology = relay.environment === 'sandbox' ? [] : relay.methodology;
  const payload = JSON.stringify({
    claim_type: relay.claimType,
    claim_result: claimResult,
    ...(CLAIM_TYPES_WITHOUT_METHODOLOGY.has(relay.claimType) ? {} : { methodology }),
  });
  const claimPayload = relay.encryptionKey
    ? oaepEncrypt(relay.encryptionKey, context.options.oaepHash, Buffer.from(payload, 'utf8'))
    : payload;
  if (claimPayload === undefined) {
    const size = Buffer.byteLength(payload);
    const details = `The claim payload (${size} bytes) is too big for one RSA-OAEP block of the relay's key.`;
    return parameterError('invalid_parameter', 'encryption-key-pem', details);
  }

  const consumed = claimResult === 'passed';
  if (consumed) context.state.markSpent(key.id, presented.tokenNonce);
  context.state.countClaimGenerated();
  return success(request, { 'claim-payload': claimPayload, 'token-consumed': consumed });
}

/** A 401 carrying a fresh challenge for the relay's claim type and environment. */
function unauthorized(context: EmulatorContext, relay: Relay, code: ErrorCode, details: string): EmulatorResponse {
  // The relay's key was made when the relay was created, so this lookup cannot miss.
  const key = context.keys.get(relay.environment, relay.claimType);
  if (!key) throw new Error(`no signing key for ${relay.environment}:${relay.claimType}`);
  const challenge = context.challenges.mint(context.clock.now());
  return withHeaders(errorResponse(code, details), { 'WWW-Authenticate': wwwAuthenticateHeader(challenge, key) });
}

/** Constant-time comparison of the presented `Persona-Relay-Secret` (hashing first equalizes the lengths). */
function secretMatches(relay: Relay, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  return timingSafeEqual(
    createHash('sha256').update(presented, 'utf8').digest(),
    createHash('sha256').update(relay.secret, 'utf8').digest(),
  );
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
