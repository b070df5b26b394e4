/**
 * `GET /relay?relay-session-access-token=…&theme=…`: the hosted-flow page. It runs the same panel
 * as `/widget.js` and, like Persona, refuses requests that carry a `Referer` (links must use
 * `rel="noopener noreferrer"`).
 */
import type { EmulatorContext } from '../context.js';
import { relayStatus } from '../relays.js';
import type { EmulatorResponse } from '../responses.js';

const THEMES = new Set(['light', 'dark', 'auto']);

/** Renders the page for a request to `/relay`. */
export function hostedPage(
  context: EmulatorContext,
  query: URLSearchParams,
  referer: string | undefined,
): EmulatorResponse {
  if (referer !== undefined) {
    const advice = 'Link to it with rel="noopener noreferrer".';
    return page(400, 'Request rejected', `<p>This page cannot be opened with a Referer header. ${advice}</p>`);
  }
  const accessToken = query.get('relay-session-access-token') ?? '';
  const relay = context.state.relays.findByAccessToken(accessToken);
  if (!relay) return page(404, 'Session not found', '<p>This relay session does not exist.</p>');
  const theme = THEMES.has(query.get('theme') ?? '') ? (query.get('theme') as string) : 'auto';
  if (relayStatus(relay, context.clock.now()) === 'expired') {
    return page(
      403,
      'Session expired',
      `<div data-persona-relay-emulator data-theme="${theme}" data-state="expired">
<p>This relay session has expired.</p>
</div>`,
    );
  }
  // JSON is valid JavaScript; escaping "<" keeps the token from closing the script element.
  const options = JSON.stringify({ accessToken, theme }).replaceAll('<', '\\u003c');
  return page(
    200,
    'Verify with Persona (emulator)',
    `<main id="relay"></main>
<p id="relay-done" hidden>Verification complete: you can close this window.</p>
<script src="/widget.js"></script>
<script>
  var options = ${options};
  options.onComplete = function () { document.getElementById('relay-done').hidden = false; };
  new Relay('#relay', options);
</script>`,
  );
}

function page(status: number, title: string, content: string): EmulatorResponse {
  return {
    status,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
    },
    body: `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${title}</title></head>
<body>
<h1>${title}</h1>
${content}
</body>
</html>
`,
  };
}
