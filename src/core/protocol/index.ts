/**
 * Protocol core: pure encoders, decoders and validators for Persona Relay's wire formats (challenge
 * material, token input, Privacy Pass token, claim payload). No I/O and no clock reads: callers pass
 * `now`.
 *
 * @example
 * ```ts
 * import { decodeChallenge, findPrivateTokenChallenge } from './core/protocol/index.js';
 *
 * const material = findPrivateTokenChallenge(response.headers['www-authenticate']);
 * const challenge = decodeChallenge(material.challenge);
 * ```
 */
export { decodeBase64Flexible, decodeBase64url, encodeBase64url, isBase64url } from './base64url.js';
export { decodeChallenge, decodeChallengeObject, isChallengeUsable } from './challenge.js';
export type { DecodedChallenge } from './challenge.js';
export { decryptClaimPayload, parseClaimPayload, readClaimPayload } from './claim-payload.js';
export type { ClaimPayload, ClaimResult, ReadClaimPayloadOptions } from './claim-payload.js';
export { decodePrivacyPassToken, encodePrivacyPassToken, formatPrivateTokenAuthorization } from './privacy-pass-token.js';
export type { PrivacyPassToken } from './privacy-pass-token.js';
export { parseRfc3339DateTime } from './rfc3339.js';
export { TOKEN_INPUT_LENGTH, buildTokenInput, generateNonce } from './token-input.js';
export type { TokenInputParts } from './token-input.js';
export { findPrivateTokenChallenge, parseAuthenticateHeader } from './www-authenticate.js';
export type { AuthChallenge, ChallengeMaterial } from './www-authenticate.js';
