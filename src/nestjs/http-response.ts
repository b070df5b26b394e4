import type { ServerResponse } from 'node:http';
import type { RelayHttpAnswer } from '../http/relay-http.js';

/** The parts of Express's `Response` and Fastify's `FastifyReply` this module uses. */
interface PlatformResponse {
  status(code: number): PlatformResponse;
  send(body: unknown): unknown;
  /** Fastify's reply wraps the Node response; Express's response is one. */
  raw?: ServerResponse;
}

/**
 * Writes a relay answer through whichever HTTP platform Nest runs on
 * (Express or Fastify): JSON body, status, `Cache-Control: no-store` (the
 * answers carry access tokens and claims), the visitor cookie if any, and
 * `Retry-After` on a 429, or a 503 that says when to retry.
 */
export function sendRelayAnswer(response: unknown, answer: RelayHttpAnswer): void {
  const platform = response as PlatformResponse;
  const raw = platform.raw ?? (response as ServerResponse);
  raw.setHeader('Cache-Control', 'no-store');
  raw.setHeader('Content-Type', 'application/json; charset=utf-8');
  if (answer.setCookie) appendSetCookie(raw, answer.setCookie);
  if (answer.retryAfterSeconds !== undefined) raw.setHeader('Retry-After', String(answer.retryAfterSeconds));
  platform.status(answer.status).send(JSON.stringify(answer.body));
}

/** Adds a `Set-Cookie` value without dropping ones set earlier by the app. */
export function appendSetCookie(raw: ServerResponse, cookie: string): void {
  const existing = raw.getHeader('Set-Cookie');
  const list = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
  raw.setHeader('Set-Cookie', [...list, cookie]);
}
