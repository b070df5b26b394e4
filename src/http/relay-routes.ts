import type { SubjectClaim } from '../core/services/claim.service.js';
import type { RelayServices } from '../core/services/relay-services.js';
import { RelayError, RelayErrorCode } from '../core/errors.js';
import { claimRequiredError } from './error-response.js';
import { CreateSessionDto, RedeemClaimDto, SessionIdParams, validateDto } from './dto.js';

/** A route's answer before any framework writes it. */
export interface RouteResult {
  readonly status: number;
  readonly body: unknown;
}

/**
 * The HTTP contract of the relay routes, independent of any framework. The
 * NestJS controller and the Express, Fastify and `node:http` adapters
 * resolve the subject, then call these, so every adapter answers the same.
 *
 * | route | answer |
 * |---|---|
 * | `POST /relay/sessions` `{claimType?}` | 201 `{sessionId, accessToken, claimType, expiresAt}` |
 * | `GET /relay/sessions/:sessionId` | 200 `{sessionId, claimType, state, claim?}` |
 * | `POST /relay/sessions/:sessionId/claim` | 200 `{sessionId, claimType, result, methodology?}` |
 * | `GET /relay/claims` | 200 `[{claimType, result, verifiedAt}]` |
 */
export class RelayRoutes {
  constructor(private readonly services: RelayServices) {}

  // Each route validates its input before looking at the subject, so a bad
  // request is a 400 whoever sends it; a request without a subject owns nothing.

  /** `client` is the requester's address bucket, counted by the per-client limit. */
  async createSession(subject: string | undefined, body: unknown, client?: string): Promise<RouteResult> {
    const dto = validateDto(CreateSessionDto, body);
    const created = await this.services.sessions.create(owner(subject), dto.claimType ?? undefined, { client });
    return {
      status: 201,
      body: {
        sessionId: created.sessionId,
        accessToken: created.accessToken,
        claimType: created.claimType,
        expiresAt: created.expiresAt.toISOString(),
      },
    };
  }

  async getSession(subject: string | undefined, params: unknown): Promise<RouteResult> {
    const { sessionId } = validateDto(SessionIdParams, params);
    const view = await this.services.sessions.get(owner(subject), sessionId);
    return {
      status: 200,
      body: {
        sessionId: view.sessionId,
        claimType: view.claimType,
        state: view.state,
        ...(view.claim
          ? {
              claim: {
                result: view.claim.result,
                ...(view.claim.methodology ? { methodology: view.claim.methodology } : {}),
                verifiedAt: view.claim.verifiedAt.toISOString(),
              },
            }
          : {}),
      },
    };
  }

  async redeem(subject: string | undefined, params: unknown, body: unknown): Promise<RouteResult> {
    const { sessionId } = validateDto(SessionIdParams, params);
    validateDto(RedeemClaimDto, body);
    const claim = await this.services.claims.redeem(owner(subject), sessionId);
    return {
      status: 200,
      body: {
        sessionId: claim.sessionId,
        claimType: claim.claimType,
        result: claim.result,
        ...(claim.methodology ? { methodology: claim.methodology } : {}),
      },
    };
  }

  /** Claims of the subject; an unknown visitor simply has none. */
  async listClaims(subject: string | undefined): Promise<RouteResult> {
    const claims = subject ? await this.services.claims.claimsOf(subject) : [];
    return {
      status: 200,
      body: claims.map((c) => ({ claimType: c.claimType, result: c.result, verifiedAt: c.verifiedAt.toISOString() })),
    };
  }

  /** The subject's passed claim of `claimType`, if any. */
  passedClaim(subject: string, claimType: string): Promise<SubjectClaim | undefined> {
    return this.services.claims.passedClaim(subject, claimType);
  }

  /** The subject's passed claim of `claimType`; throws `CLAIM_REQUIRED` when there is none. */
  async requireClaim(subject: string | undefined, claimType: string): Promise<SubjectClaim> {
    const claim = subject ? await this.passedClaim(subject, claimType) : undefined;
    if (!claim) throw claimRequiredError(claimType);
    return claim;
  }
}

/** The subject a session route acts for; none answers like a stranger's session id (404). */
function owner(subject: string | undefined): string {
  if (!subject) throw new RelayError(RelayErrorCode.SESSION_NOT_FOUND, 'No such session');
  return subject;
}
