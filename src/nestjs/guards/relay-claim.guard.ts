import { ForbiddenException, Inject, Injectable } from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { RelayErrorCode } from '../../core/errors.js';
import type { RelayHttp } from '../../http/relay-http.js';
import type { SubjectSource } from '../../http/subject.js';
import { RELAY_HTTP, REQUIRED_CLAIM_KEY } from '../relay.tokens.js';

/** Where the guard leaves the claim it checked, for `@RelayClaim()`. */
export const RELAY_CLAIM_REQUEST_KEY = 'relayClaim';

/**
 * Lets a request through only when its subject holds a passed claim of the
 * type named by `@RequireClaim(...)`; otherwise 403
 * `{"code":"ERR_RELAY_CLAIM_REQUIRED","claimType":…}`. Works in any module
 * that imports `RelayModule` (or when the module is global).
 */
@Injectable()
export class RelayClaimGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(RELAY_HTTP) private readonly http: RelayHttp,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const claimType = this.reflector.getAllAndOverride<string | undefined>(REQUIRED_CLAIM_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!claimType) return true;
    const request = context.switchToHttp().getRequest<SubjectSource & Record<string, unknown>>();
    const { subject } = this.http.subject(request, false);
    const claim = subject ? await this.http.routes.passedClaim(subject, claimType) : undefined;
    if (!claim) {
      throw new ForbiddenException({
        code: RelayErrorCode.CLAIM_REQUIRED,
        claimType,
        message: 'A verified claim is required',
      });
    }
    request[RELAY_CLAIM_REQUEST_KEY] = claim;
    return true;
  }
}
