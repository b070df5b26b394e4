import { Catch, Controller, Get, HttpException, Req, Res, UseFilters } from '@nestjs/common';
import type { ArgumentsHost, ExceptionFilter, Type } from '@nestjs/common';
import type { Request, Response } from 'express';
import { RelayErrorCode, type SubjectClaim } from '../index.js';
import { RelayClaim, RequireClaim } from '../nestjs/index.js';
import { renderForbiddenPage, renderRestrictedPage } from './page/html.js';

const CLAIM_REQUIRED: string = RelayErrorCode.CLAIM_REQUIRED;

/** True when the request prefers HTML to JSON (a browser navigating, not `fetch`). */
function wantsHtml(req: Request): boolean {
  return req.accepts(['json', 'html']) === 'html';
}

/** The guard's answer when the visitor lacks the claim (`{"code":"ERR_RELAY_CLAIM_REQUIRED",…}`, 403). */
function isClaimRequired(exception: HttpException): boolean {
  const body = exception.getResponse();
  return exception.getStatus() === 403 && typeof body === 'object' && body !== null && (body as { code?: unknown }).code === CLAIM_REQUIRED;
}

/**
 * Turns the guard's 403 into a small page for browsers. Everything else, and every answer to API clients,
 * keeps the guard's JSON and status.
 */
function createForbiddenPageFilter(claimType: string): ExceptionFilter<HttpException> {
  @Catch(HttpException)
  class ForbiddenPageFilter implements ExceptionFilter<HttpException> {
    catch(exception: HttpException, host: ArgumentsHost): void {
      const http = host.switchToHttp();
      const req = http.getRequest<Request>();
      const res = http.getResponse<Response>();
      const status = exception.getStatus();
      res.status(status).setHeader('Cache-Control', 'no-store');
      if (isClaimRequired(exception) && wantsHtml(req)) {
        res.type('html').send(renderForbiddenPage(claimType));
        return;
      }
      const body = exception.getResponse();
      // The same JSON Nest's default filter would send.
      res.json(typeof body === 'string' ? { statusCode: status, message: body } : body);
    }
  }
  return new ForbiddenPageFilter();
}

/**
 * `GET /restricted`: the gated resource. A class per claim type because decorator arguments are fixed when
 * the class is defined; with the default configuration this is exactly
 * `@RequireClaim('age_over18_verified')` on the handler.
 */
export function createRestrictedController(claimType: string): Type<unknown> {
  @Controller('restricted')
  @UseFilters(createForbiddenPageFilter(claimType))
  class RestrictedController {
    @Get()
    @RequireClaim(claimType)
    restricted(@RelayClaim() claim: SubjectClaim, @Req() req: Request, @Res({ passthrough: true }) res: Response): unknown {
      res.setHeader('Cache-Control', 'no-store');
      if (!wantsHtml(req)) return { access: 'granted', claim };
      res.type('html');
      return renderRestrictedPage(claim);
    }
  }
  return RestrictedController;
}
