/** `POST /api/v1/privacy-passes`: blind signing. */
import { bodyObject, type ApiRequest, type EmulatorContext } from '../context.js';
import { fromBase64Url, toBase64Url } from '../encoding.js';
import { readRequiredStrings, spellingNormalized } from '../fields.js';
import { environmentOfApiKey, type Environment } from '../options.js';
import { errorResponse, parameterError, withHeaders, type EmulatorResponse } from '../responses.js';
import { blindSign, isBelowModulus } from '../rsa.js';
import { invalidJson, success } from './common.js';
import { idempotencyKeyOf, runIdempotently } from './idempotent.js';

export async function createPrivacyPass(context: EmulatorContext, request: ApiRequest): Promise<EmulatorResponse> {
  const apiKey = /^bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
  if (!apiKey || !context.options.apiKeys.includes(apiKey)) {
    return errorResponse('invalid_api_key', 'Authorization must be Bearer followed by a valid API key.');
  }
  const environment = environmentOfApiKey(apiKey);
  const rate = context.state.rateLimiter.hit(environment, context.clock.now());
  const identifiedHeaders = {
    ...rate.headers,
    'Persona-Environment-Id': context.environmentIds[environment],
    'Persona-Organization-Id': context.organizationId,
  };
  if (!rate.allowed) {
    const limited = errorResponse('rate_limited', 'Too many requests; retry after RateLimit-Reset seconds.');
    return withHeaders(limited, identifiedHeaders);
  }

  const key = idempotencyKeyOf(request);
  const identity = key
    ? { scope: `privacy-passes\n${apiKey}\n${key}`, key, fingerprint: passFingerprint(request) }
    : undefined;
  // Every response after authentication and rate limiting is kept, failures included.
  const response = await runIdempotently(context, request, identity, () => true, () =>
    issuePass(context, request, environment),
  );
  return withHeaders(response, identifiedHeaders);
}

/** Steps 4–9: validate the blinded token and sign it. */
function issuePass(context: EmulatorContext, request: ApiRequest, environment: Environment): EmulatorResponse {
  const body = bodyObject(request);
  if (!body) return invalidJson();
  const fields = readRequiredStrings(body, ['blinded-token', 'key-id']);
  if (!fields.ok) return fields.response;
  const [blindedToken, keyId] = fields.value as [string, string];

  const key = context.keys.byId(keyId);
  if (!key) return parameterError('invalid_parameter', 'key-id', 'key-id does not name a token key.');
  if (key.environment !== environment) {
    return errorResponse(
      'environment_mismatch',
      `key-id belongs to the ${key.environment} environment, the API key to ${environment}.`,
    );
  }
  const blinded = fromBase64Url(blindedToken);
  if (!blinded || !isBelowModulus(key, blinded)) {
    const details = `blinded-token must be base64url of exactly ${key.modulusBytes} bytes, below the key's modulus.`;
    return parameterError('invalid_parameter', 'blinded-token', details);
  }
  const blindSignature = blindSign(key, blinded);
  context.state.countPassIssued();
  return success(request, { 'blind-sig': toBase64Url(blindSignature) });
}

/** The request parameters that must match on a replay: `blinded-token` and `key-id`, whatever their spelling. */
function passFingerprint(request: ApiRequest): string {
  const body = bodyObject(request) ?? {};
  return JSON.stringify([spellingNormalized(body, 'blinded-token'), spellingNormalized(body, 'key-id')]);
}
