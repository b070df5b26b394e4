/**
 * The control API under `/_emulator`: camelCase JSON, no authentication (but guarded against web pages, see
 * `control-guard.ts`), never faulted, rate limited, inflected or logged. Tests use it to complete relays, inject
 * faults, move the clock, reset, and read the counters and the request log.
 */
import { parseBody, INVALID_JSON, type EmulatorContext } from './context.js';
import { WIDGET_COMPLETE_PATH } from './control-guard.js';
import { toRfc3339Millis } from './encoding.js';
import { FAULT_ENDPOINTS, type Fault, type FaultEndpoint } from './faults.js';
import { relayStatus, type ClaimResult, type MethodologyEntry, type Relay } from './relays.js';
import { errorResponse, jsonResponse, parameterError, withHeaders, type EmulatorResponse } from './responses.js';

const WIDGET_CORS_HEADERS = { 'Access-Control-Allow-Origin': '*' };
const OK = { ok: true } as const;

/** Answers one control request; `path` has no query. */
export function handleControl(
  context: EmulatorContext,
  method: string,
  path: string,
  rawBody: Buffer,
): EmulatorResponse {
  if (path === WIDGET_COMPLETE_PATH) return handleWidgetComplete(context, method, rawBody);
  const relayToken = /^\/_emulator\/relays\/([^/]+)\/complete$/.exec(path)?.[1];
  if (relayToken !== undefined && method === 'POST') {
    return withBody(rawBody, (body) => completeByRelayToken(context, decodeSegment(relayToken), body));
  }
  switch (`${method} ${path}`) {
    case 'POST /_emulator/faults':
      return withBody(rawBody, (body) => addFault(context, body));
    case 'POST /_emulator/clock':
      return withBody(rawBody, (body) => advanceClock(context, body));
    case 'POST /_emulator/reset':
      context.state.reset();
      context.clock.reset();
      return jsonResponse(200, OK);
    case 'GET /_emulator/state':
      return jsonResponse(200, context.state.counters(context.clock.now()));
    case 'GET /_emulator/requests':
      return jsonResponse(200, context.state.requestLog.entries());
    default:
      return routeNotFound(method, path);
  }
}

/** 404 `route_not_found`, shared with the API router. */
export function routeNotFound(method: string, path: string): EmulatorResponse {
  return errorResponse('route_not_found', `No route for ${method} ${path}.`);
}

function handleWidgetComplete(context: EmulatorContext, method: string, rawBody: Buffer): EmulatorResponse {
  if (method === 'OPTIONS') {
    return {
      status: 204,
      headers: {
        ...WIDGET_CORS_HEADERS,
        'Access-Control-Allow-Methods': 'POST',
        'Access-Control-Allow-Headers': 'content-type',
      },
      body: '',
    };
  }
  const response =
    method === 'POST'
      ? withBody(rawBody, (body) => completeByAccessToken(context, body))
      : routeNotFound(method, WIDGET_COMPLETE_PATH);
  return withHeaders(response, WIDGET_CORS_HEADERS);
}

function completeByRelayToken(
  context: EmulatorContext,
  relayToken: string,
  body: Record<string, unknown>,
): EmulatorResponse {
  const outcome = readOutcome(body);
  if ('response' in outcome) return outcome.response;
  const methodology = readMethodology(body);
  if ('response' in methodology) return methodology.response;
  return complete(context, context.state.relays.findByToken(relayToken), outcome.value, methodology.value);
}

function completeByAccessToken(context: EmulatorContext, body: Record<string, unknown>): EmulatorResponse {
  const { accessToken } = body;
  if (accessToken === undefined || accessToken === null) return missing('accessToken');
  if (typeof accessToken !== 'string') return invalid('accessToken', 'accessToken must be a string.');
  const outcome = readOutcome(body);
  if ('response' in outcome) return outcome.response;
  return complete(context, context.state.relays.findByAccessToken(accessToken), outcome.value, []);
}

/** Records an outcome; a completed production relay gets the new one, a sandbox relay's claims stay `passed`. */
function complete(
  context: EmulatorContext,
  relay: Relay | undefined,
  outcome: ClaimResult,
  methodology: MethodologyEntry[],
): EmulatorResponse {
  if (!relay) return errorResponse('relay_not_found', 'No such relay.');
  if (relayStatus(relay, context.clock.now()) === 'expired') {
    return errorResponse('relay_expired', 'The relay session expired before it was completed.');
  }
  relay.outcome = outcome;
  relay.methodology = methodology;
  return jsonResponse(200, OK);
}

function addFault(context: EmulatorContext, body: Record<string, unknown>): EmulatorResponse {
  const { endpoint, mode, status, times = 1, delayMs } = body;
  if (endpoint === undefined || endpoint === null) return missing('endpoint');
  if (!FAULT_ENDPOINTS.includes(endpoint as FaultEndpoint)) {
    return invalid('endpoint', `endpoint must be one of ${FAULT_ENDPOINTS.join(', ')}.`);
  }
  if (mode === undefined || mode === null) return missing('mode');
  if (!Number.isSafeInteger(times) || (times as number) < 1) {
    return invalid('times', 'times must be a positive integer.');
  }

  let fault: Fault;
  if (mode === 'status') {
    if (status === undefined || status === null) return missing('status');
    if (!Number.isInteger(status) || (status as number) < 400 || (status as number) > 599) {
      return invalid('status', 'status must be an integer from 400 to 599.');
    }
    fault = { mode, status: status as number };
  } else if (mode === 'delay') {
    if (delayMs === undefined || delayMs === null) return missing('delayMs');
    if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0 || delayMs > 60_000) {
      return invalid('delayMs', 'delayMs must be a number from 0 to 60000.');
    }
    fault = { mode, delayMs };
  } else if (mode === 'drop-after-commit') {
    fault = { mode };
  } else {
    return invalid('mode', 'mode must be status, drop-after-commit or delay.');
  }
  context.state.faults.add(endpoint as FaultEndpoint, fault, times as number);
  return jsonResponse(200, OK);
}

function advanceClock(context: EmulatorContext, body: Record<string, unknown>): EmulatorResponse {
  const { advanceSeconds } = body;
  if (advanceSeconds === undefined || advanceSeconds === null) return missing('advanceSeconds');
  if (typeof advanceSeconds !== 'number' || !Number.isFinite(advanceSeconds) || advanceSeconds < 0) {
    return invalid('advanceSeconds', 'advanceSeconds must be a finite number, at least 0.');
  }
  context.clock.advance(advanceSeconds);
  return jsonResponse(200, { ok: true, now: toRfc3339Millis(context.clock.now()) });
}

type Read<T> = { value: T } | { response: EmulatorResponse };

function readOutcome(body: Record<string, unknown>): Read<ClaimResult> {
  const { outcome } = body;
  if (outcome === undefined || outcome === null) return { response: missing('outcome') };
  if (!isClaimResult(outcome)) return { response: invalid('outcome', 'outcome must be passed or failed.') };
  return { value: outcome };
}

function readMethodology(body: Record<string, unknown>): Read<MethodologyEntry[]> {
  const { methodology } = body;
  if (methodology === undefined) return { value: [] };
  const valid =
    Array.isArray(methodology) &&
    methodology.every(
      (entry: unknown) =>
        typeof entry === 'object' &&
        entry !== null &&
        typeof (entry as Record<string, unknown>).method === 'string' &&
        isClaimResult((entry as Record<string, unknown>).result),
    );
  if (!valid) return { response: invalid('methodology', 'methodology must be a list of {method, result}.') };
  return { value: (methodology as MethodologyEntry[]).map(({ method, result }) => ({ method, result })) };
}

function isClaimResult(value: unknown): value is ClaimResult {
  return value === 'passed' || value === 'failed';
}

/** Parses a control body (empty = `{}`); anything but a JSON object is 400 `invalid_json`. */
function withBody(rawBody: Buffer, handle: (body: Record<string, unknown>) => EmulatorResponse): EmulatorResponse {
  const body = parseBody(rawBody) ?? {};
  if (body === INVALID_JSON || typeof body !== 'object' || body === null || Array.isArray(body)) {
    return errorResponse('invalid_json', 'The request body must be a JSON object.');
  }
  return handle(body as Record<string, unknown>);
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function missing(parameter: string): EmulatorResponse {
  return parameterError('missing_parameter', parameter, `${parameter} is required.`);
}

function invalid(parameter: string, details: string): EmulatorResponse {
  return parameterError('invalid_parameter', parameter, details);
}
