import { Catch } from '@nestjs/common';
import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import { RelayError } from '../core/errors.js';
import { retryAfterSeconds, toErrorResponse } from '../http/error-response.js';
import { sendRelayAnswer } from './http-response.js';

/**
 * Opt-in filter for your own routes: answers a thrown {@link RelayError} with
 * its HTTP status (see `RELAY_ERROR_STATUS`) and `{code, message}`, with
 * `Retry-After` on a 429, or a 503 that says when to retry.
 */
@Catch(RelayError)
export class RelayExceptionFilter implements ExceptionFilter {
  catch(error: RelayError, host: ArgumentsHost): void {
    sendRelayAnswer(host.switchToHttp().getResponse(), { ...toErrorResponse(error), retryAfterSeconds: retryAfterSeconds(error) });
  }
}
