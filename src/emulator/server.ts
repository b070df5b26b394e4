/**
 * The HTTP server: routes `/api/` to the endpoint handlers (with faults, `Request-Id` and the request log),
 * `/_emulator/` to the control API, and serves the widget script and hosted page. HTTP/1.1 keep-alive stays on so
 * connection reuse shows in the request log.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { accessLogLine, redactedPath } from './access-log.js';
import { parseBody, INVALID_JSON, type ApiRequest, type EmulatorContext } from './context.js';
import { handleControl, routeNotFound } from './control.js';
import { ownOrigins, refuseControlRequest } from './control-guard.js';
import { randomAlphanumeric, toRfc3339Millis } from './encoding.js';
import type { Fault, FaultEndpoint } from './faults.js';
import { createPrivacyPass } from './handlers/create-privacy-pass.js';
import { createRelay } from './handlers/create-relay.js';
import { generateClaim } from './handlers/generate-claim.js';
import { requestChallenge } from './handlers/request-challenge.js';
import { MAX_BODY_BYTES, readCappedBody } from './request-body.js';
import { collectHeaders } from './request-log.js';
import { errorResponse, injectedFaultResponse, withHeaders, type EmulatorResponse } from './responses.js';
import { hostedPage } from './widget/hosted-page.js';
import { WIDGET_SCRIPT } from './widget/script.js';

type EndpointHandler = (context: EmulatorContext, request: ApiRequest) => Promise<EmulatorResponse>;

const ENDPOINT_HANDLERS: Record<FaultEndpoint, EndpointHandler> = {
  relays: createRelay,
  challenge: requestChallenge,
  'privacy-passes': createPrivacyPass,
  'generate-claim': generateClaim,
};

/** Endpoints whose `delay` fault waits before any processing (the others wait at their idempotency step). */
const DELAYED_BEFORE_PROCESSING = new Set<FaultEndpoint>(['relays', 'challenge']);

const GENERATE_CLAIM_PATH = /^\/api\/privacy\/v1\/relays\/([^/]+)\/generate-claim$/;

/** The running server and how to stop it. */
export interface EmulatorServer {
  readonly server: Server;
  /** Stops listening, destroys open connections and abandons pending delays. */
  close(): Promise<void>;
}

/** Builds the (not yet listening) HTTP server around one emulator context. */
export function createEmulatorServer(context: EmulatorContext): EmulatorServer {
  const shutdown = new AbortController();
  const server = createServer((req, res) => {
    handleRequest(context, shutdown.signal, req, res).catch((error: unknown) => {
      if (shutdown.signal.aborted) {
        req.socket.destroy();
        return;
      }
      // The query may hold an access token: log the path only, and that without relay tokens.
      const path = redactedPath((req.url ?? '').split('?')[0] ?? '');
      context.options.logger?.(`internal error on ${req.method} ${path}: ${String(error)}`);
      if (!res.headersSent) send(res, errorResponse('internal_error', 'The emulator failed to handle this request.'));
    });
  });
  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        shutdown.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handleRequest(
  context: EmulatorContext,
  shutdown: AbortSignal,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const arrivedAt = context.clock.now();
  const startedAt = performance.now();
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', 'http://emulator.invalid');
  const path = url.pathname;

  if (path === '/api' || path.startsWith('/api/')) {
    await handleApiRequest(context, shutdown, req, res, { method, path, arrivedAt });
  } else {
    const read = await readCappedBody(req);
    if (read.kind === 'too-large') send(res, tooLargeResponse());
    else if (path.startsWith('/_emulator/')) send(res, controlResponse(context, req, method, path, read.bytes));
    else if (method === 'GET' && path === '/widget.js') send(res, widgetScriptResponse());
    else if (method === 'GET' && path === '/relay') {
      send(res, hostedPage(context, url.searchParams, req.headers.referer));
    }
    else send(res, routeNotFound(method, path));
  }
  context.options.logger?.(accessLogLine(method, path, res.statusCode, performance.now() - startedAt));
}

function controlResponse(
  context: EmulatorContext,
  req: IncomingMessage,
  method: string,
  path: string,
  rawBody: Buffer,
): EmulatorResponse {
  const origins = ownOrigins(context.options.host, req.socket.localPort ?? context.options.port);
  const refusal = refuseControlRequest({ method, path, headers: req.headers, bodyLength: rawBody.length }, origins);
  return refusal ?? handleControl(context, method, path, rawBody);
}

async function handleApiRequest(
  context: EmulatorContext,
  shutdown: AbortSignal,
  req: IncomingMessage,
  res: ServerResponse,
  { method, path, arrivedAt }: { method: string; path: string; arrivedAt: number },
): Promise<void> {
  const route = matchApiRoute(method, path);
  // A pending fault belongs to the request that arrives first, whatever its body.
  const fault = route ? context.state.faults.take(route.endpoint) : undefined;
  const headers = collectHeaders(req.rawHeaders);
  const read = await readCappedBody(req);
  const body = read.kind === 'body' ? parseBody(read.bytes) : undefined;

  let response: EmulatorResponse;
  if (!route) {
    response = routeNotFound(method, path);
  } else if (fault?.mode === 'status') {
    response = injectedFaultResponse(fault.status, context.options.rateLimit);
  } else if (read.kind === 'too-large') {
    response = tooLargeResponse();
  } else {
    const wait = delayOf(fault, shutdown);
    const request: ApiRequest = {
      headers,
      body,
      relayToken: route.relayToken,
      delayPoint: DELAYED_BEFORE_PROCESSING.has(route.endpoint) ? () => Promise.resolve() : wait,
    };
    if (DELAYED_BEFORE_PROCESSING.has(route.endpoint)) await wait();
    response = await ENDPOINT_HANDLERS[route.endpoint](context, request);
  }
  response = withHeaders(response, { 'Request-Id': `req_${randomAlphanumeric(27)}` });

  const dropped = fault?.mode === 'drop-after-commit';
  context.state.requestLog.append({
    at: toRfc3339Millis(arrivedAt),
    method,
    path,
    status: response.status,
    headers,
    body: body === INVALID_JSON || body === undefined ? null : body,
    remotePort: req.socket.remotePort ?? null,
    dropped,
  });
  if (dropped) {
    // Everything is committed (state, counters, idempotency cache); the client just never hears back.
    req.socket.destroy();
    res.statusCode = response.status;
  } else {
    send(res, response);
  }
}

function matchApiRoute(method: string, path: string): { endpoint: FaultEndpoint; relayToken: string } | undefined {
  if (method !== 'POST') return undefined;
  if (path === '/api/privacy/v1/relays') return { endpoint: 'relays', relayToken: '' };
  if (path === '/api/privacy/v1/relays/challenge') return { endpoint: 'challenge', relayToken: '' };
  if (path === '/api/v1/privacy-passes') return { endpoint: 'privacy-passes', relayToken: '' };
  const segment = GENERATE_CLAIM_PATH.exec(path)?.[1];
  if (segment === undefined) return undefined;
  try {
    return { endpoint: 'generate-claim', relayToken: decodeURIComponent(segment) };
  } catch {
    // Undecodable: names no relay, so the handler answers 404 relay_not_found.
    return { endpoint: 'generate-claim', relayToken: '' };
  }
}

/** The wait of a `delay` fault (abandoned when the emulator closes); a no-op otherwise. */
function delayOf(fault: Fault | undefined, shutdown: AbortSignal): () => Promise<void> {
  if (fault?.mode !== 'delay') return () => Promise.resolve();
  return () => sleep(fault.delayMs, undefined, { signal: shutdown });
}

/**
 * 413 for a body over the cap. The rest of the body is never read, so the connection cannot carry another request:
 * `Connection: close` has Node close it once the answer is written.
 */
function tooLargeResponse(): EmulatorResponse {
  return withHeaders(errorResponse('request_too_large', `The request body exceeds ${MAX_BODY_BYTES} bytes.`), {
    Connection: 'close',
  });
}

function send(res: ServerResponse, response: EmulatorResponse): void {
  res.writeHead(response.status, response.headers);
  res.end(response.body);
}

function widgetScriptResponse(): EmulatorResponse {
  return {
    status: 200,
    headers: { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' },
    body: WIDGET_SCRIPT,
  };
}
