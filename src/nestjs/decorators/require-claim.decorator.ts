import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { RelayClaimGuard } from '../guards/relay-claim.guard.js';
import { REQUIRED_CLAIM_KEY } from '../relay.tokens.js';

/**
 * Requires the caller to hold a passed claim of `claimType` (on a handler or
 * a whole controller). Until then the route answers 403
 * `{"code":"ERR_RELAY_CLAIM_REQUIRED","claimType":…}`.
 *
 * @example
 * ```ts
 * @Get('restricted')
 * @RequireClaim('age_over18_verified')
 * restricted(@RelayClaim() claim: SubjectClaim) {
 *   return { verifiedAt: claim.verifiedAt };
 * }
 * ```
 */
export function RequireClaim(claimType: string): MethodDecorator & ClassDecorator {
  return applyDecorators(SetMetadata(REQUIRED_CLAIM_KEY, claimType), UseGuards(RelayClaimGuard));
}
