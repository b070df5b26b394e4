import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DemoVerification } from './settings.js';

/**
 * The Content-Security-Policy of every demo response: scripts and fetches only from this origin and, in
 * widget mode, the widget's origin (the emulator's widget posts the outcome back to its own origin).
 * No inline scripts anywhere, so an injected `<script>` cannot run.
 *
 * `style-src-attr 'unsafe-inline'` is there for the emulator's widget, which styles its panel through a
 * `style` attribute; it allows attributes only, not `<style>` elements.
 */
export function contentSecurityPolicy(verification: DemoVerification): string {
  const widgetOrigin = verification.kind === 'widget' ? ` ${new URL(verification.scriptUrl).origin}` : '';
  return [
    "default-src 'none'",
    `script-src 'self'${widgetOrigin}`,
    `connect-src 'self'${widgetOrigin}`,
    "style-src 'self'",
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * Connect-style middleware adding the security headers. `Referrer-Policy: no-referrer` also matters
 * functionally: Persona's hosted flow refuses requests that carry a `Referer`.
 */
export function securityHeaders(verification: DemoVerification): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  const policy = contentSecurityPolicy(verification);
  return (_req, res, next) => {
    res.setHeader('Content-Security-Policy', policy);
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    next();
  };
}
