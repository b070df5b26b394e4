import { HttpException, Injectable } from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { ModuleRef, Reflector } from '@nestjs/core';
import { claimRequiredError, toErrorResponse } from '../../http/error-response.js';
import type { RelayHttp } from '../../http/relay-http.js';
import type { SubjectSource } from '../../http/subject.js';
import { RELAY_HTTP, REQUIRED_CLAIM_KEY } from '../relay.tokens.js';

/** Where the guard leaves the claim it checked, for `@RelayClaim()`. */
export const RELAY_CLAIM_REQUEST_KEY = 'relayClaim';

/**
 * Lets a request through only when its subject holds a passed claim of the
 * type named by `@RequireClaim(...)`; otherwise 403
 * `{"code":"ERR_RELAY_CLAIM_REQUIRED","message":…,"claimType":…}` (the body
 * every adapter of this package answers).
 *
 * It depends only on what every Nest module can inject (`Reflector`,
 * `ModuleRef`) and finds the relay module's {@link RelayHttp} on first use,
 * so `@RequireClaim` works in any module of the app, whether or not that
 * module imports `RelayModule` and whether or not it is global.
 */
@Injectable()
export class RelayClaimGuard implements CanActivate {
  private http: RelayHttp | undefined;

  constructor(
    private readonly reflector: Reflector,
    private readonly moduleRef: ModuleRef,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const claimType = this.reflector.getAllAndOverride<string | undefined>(REQUIRED_CLAIM_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!claimType) return true;
    const http = this.relayHttp();
    const request = context.switchToHttp().getRequest<SubjectSource & Record<string, unknown>>();
    let claim;
    try {
      const { subject } = http.subject(request, false);
      claim = subject ? await http.routes.passedClaim(subject, claimType) : undefined;
    } catch (error) {
      // For example the database is down: answer as the relay routes would (503), not with a bare 500.
      const answer = toErrorResponse(error);
      throw new HttpException(answer.body, answer.status, { cause: error });
    }
    if (!claim) throw new HttpException(toErrorResponse(claimRequiredError(claimType)).body, 403);
    request[RELAY_CLAIM_REQUEST_KEY] = claim;
    return true;
  }

  private relayHttp(): RelayHttp {
    this.http ??= this.moduleRef.get<RelayHttp>(RELAY_HTTP, { strict: false });
    return this.http;
  }
}
