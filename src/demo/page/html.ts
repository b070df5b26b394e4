/**
 * The demo's HTML, as strings: `tsc` copies no non-TypeScript files to `dist/`, so the page travels inside
 * the compiled modules. No inline script or style anywhere (the Content-Security-Policy forbids them);
 * behaviour lives in `/demo/app.js`, looks in `/demo/styles.css`.
 */

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** What the page says about the Persona it talks to. */
export type PersonaDescription = 'embedded-emulator' | 'external-emulator' | 'persona-sandbox' | 'persona-production';

const MODE_NOTES: Record<PersonaDescription, string> = {
  'embedded-emulator':
    'This demo runs against a built-in stand-in for Persona (the emulator). Its panel offers <b>Pass</b> and <b>Fail</b> instead of a real ID check, so you can try both endings.',
  'external-emulator': 'This demo talks to a Persona emulator you started. Its panel offers <b>Pass</b> and <b>Fail</b> instead of a real ID check.',
  'persona-sandbox':
    'This demo talks to Persona’s <b>sandbox</b>: the verification opens in a new tab, and sandbox verifications always pass.',
  'persona-production': 'This demo talks to Persona: the verification opens in a new tab.',
};

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/demo/styles.css">
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

/** The page at `/`. */
export function renderIndexPage(input: { readonly claimType: string; readonly persona: PersonaDescription }): string {
  const claimType = escapeHtml(input.claimType);
  return layout(
    'Persona Relay demo',
    `<header>
  <p class="eyebrow">persona-relay demo</p>
  <h1>Prove your age without telling this site who you are</h1>
</header>
<p class="lede">When you press <b>Verify age</b>, you prove your age to Persona, not to this site: we never see your documents or photos, only the answer “passed” or “failed”. Persona Relay delivers that answer through a blind-signed Privacy Pass, so Persona, in turn, cannot tell which site asked.</p>

<section class="card" aria-labelledby="verify-title">
  <h2 id="verify-title"><span class="step">1</span> Verify</h2>
  <p class="note">${MODE_NOTES[input.persona]}</p>
  <div class="actions">
    <button id="verify" type="button" class="primary" disabled>Verify age</button>
  </div>
  <div id="status" role="status" aria-live="polite" data-state="loading">Loading…</div>
  <div id="widget"></div>
  <div id="hosted" class="actions" hidden>
    <a id="hosted-link" class="button" target="_blank" rel="noopener noreferrer">Open Persona’s verification ↗</a>
    <button id="finished" type="button" class="primary">I’ve finished</button>
  </div>
  <div class="actions"><button id="retry" type="button" hidden>Ask for the result again</button></div>
  <div id="result" role="alert" hidden></div>
</section>

<section class="card" aria-labelledby="restricted-title">
  <h2 id="restricted-title"><span class="step">2</span> Open the restricted page</h2>
  <p><code>GET /restricted</code> is guarded by <code>@RequireClaim('${claimType}')</code>: it answers 403 until you have passed, 200 afterwards.</p>
  <div class="actions"><a id="restricted-link" class="button" href="/restricted">Open /restricted</a></div>
</section>

<footer>
  <p>Your browser receives only a session id and the access token that opens the verification. The relay token, the relay secret and the Privacy Pass never leave the server.</p>
</footer>
<script src="/demo/app.js"></script>`,
  );
}

/** `/restricted` for a browser that holds the claim. */
export function renderRestrictedPage(claim: { readonly claimType: string; readonly verifiedAt: Date }): string {
  return layout(
    'Restricted area',
    `<header><p class="eyebrow">persona-relay demo</p><h1>Restricted area</h1></header>
<div class="result passed" data-access="granted">
  <p><b>Access granted.</b> You hold a passed <code>${escapeHtml(claim.claimType)}</code> claim, verified at ${escapeHtml(claim.verifiedAt.toISOString())}.</p>
</div>
<p>This site knows that much and nothing else about you.</p>
<p><a href="/">Back to the demo</a></p>`,
  );
}

/** `/restricted` for a browser without the claim (sent with status 403). */
export function renderForbiddenPage(claimType: string): string {
  return layout(
    'Verification required',
    `<header><p class="eyebrow">persona-relay demo</p><h1>Verification required</h1></header>
<div class="result failed" data-access="denied">
  <p><b>403 Forbidden.</b> This page needs a passed <code>${escapeHtml(claimType)}</code> claim, and this browser does not hold one yet.</p>
</div>
<p><a href="/">Go back and verify your age</a></p>`,
  );
}
