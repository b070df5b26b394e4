/** `POST /api/privacy/v1/relays/challenge`: challenge material for a claim type. */
import { bodyObject, type ApiRequest, type EmulatorContext } from '../context.js';
import { toBase64Url } from '../encoding.js';
import { readClaimType, readSandboxFlag } from '../fields.js';
import type { EmulatorResponse } from '../responses.js';
import { invalidJson, success } from './common.js';

export async function requestChallenge(context: EmulatorContext, request: ApiRequest): Promise<EmulatorResponse> {
  const body = bodyObject(request);
  if (!body) return invalidJson();
  const claimType = readClaimType(body);
  if (!claimType.ok) return claimType.response;
  const sandbox = readSandboxFlag(body);
  if (!sandbox.ok) return sandbox.response;

  const key = await context.keys.ensure(sandbox.value ? 'sandbox' : 'production', claimType.value);
  return success(request, {
    challenge: context.challenges.mint(context.clock.now()),
    'token-key': toBase64Url(key.spkiDer),
    'token-key-id': key.id,
  });
}
