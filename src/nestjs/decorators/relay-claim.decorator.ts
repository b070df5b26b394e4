import { createParamDecorator } from '@nestjs/common';
import type { ExecutionContext } from '@nestjs/common';
import type { SubjectClaim } from '../../core/services/claim.service.js';
import { RELAY_CLAIM_REQUEST_KEY } from '../guards/relay-claim.guard.js';

/**
 * Injects the claim `@RequireClaim(...)` checked for this request
 * (`{claimType, result, verifiedAt}`); `undefined` on routes without the guard.
 */
export const RelayClaim = createParamDecorator((_data: unknown, context: ExecutionContext): SubjectClaim | undefined => {
  const request = context.switchToHttp().getRequest<Record<string, unknown>>();
  return request[RELAY_CLAIM_REQUEST_KEY] as SubjectClaim | undefined;
});
