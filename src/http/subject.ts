import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { SubjectCookie } from './subject-cookie.js';

/** The parts of a request subject resolution looks at. */
export interface SubjectSource {
  readonly headers: IncomingHttpHeaders;
  /** Set by the app's authentication (Passport and the like). */
  readonly user?: unknown;
}

/**
 * Maps a request to the subject that owns sessions and claims (usually the
 * logged-in user's id); `undefined` when the request is anonymous.
 */
export type ResolveSubject = (request: SubjectSource & Record<string, unknown>) => string | undefined;

/** Default {@link ResolveSubject}: `req.user.id` when it is a string or a number. */
export const userIdSubject: ResolveSubject = (request) => {
  const id = (request.user as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' && id.length > 0 ? `user:${id}` : typeof id === 'number' ? `user:${id}` : undefined;
};

/** What {@link resolveRequestSubject} found. */
export interface ResolvedSubject {
  readonly subject?: string;
  /** A `Set-Cookie` value to send: a new anonymous visitor was given an id. */
  readonly setCookie?: string;
}

/** Longest subject the services and storage take as is. */
export const MAX_SUBJECT_LENGTH = 256;

/**
 * `subject` itself when it fits {@link MAX_SUBJECT_LENGTH}, else
 * `sha256:<base64url digest>`. Identity providers hand out longer ids than
 * storage keeps (an OIDC `sub` may be 255 characters before the `user:`
 * prefix, emails longer still); the digest keeps one user one subject.
 */
export function boundedSubject(subject: string): string {
  if (subject.length <= MAX_SUBJECT_LENGTH) return subject;
  return `sha256:${createHash('sha256').update(subject, 'utf8').digest('base64url')}`;
}

/**
 * The request's subject: the app's user when `resolveSubject` finds one (long
 * ids hashed, see {@link boundedSubject}), else the anonymous visitor of a
 * valid signed cookie; with `create`, a new visitor.
 */
export function resolveRequestSubject(
  request: SubjectSource,
  options: { resolveSubject: ResolveSubject; cookie?: SubjectCookie; create: boolean },
): ResolvedSubject {
  const fromApp = options.resolveSubject(request as SubjectSource & Record<string, unknown>);
  if (fromApp) return { subject: boundedSubject(fromApp) };
  if (!options.cookie) return {};
  return options.cookie.resolve(request.headers.cookie, { create: options.create });
}
