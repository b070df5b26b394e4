/** `/demo/styles.css`: a plain, readable look that follows the system's light or dark theme. */
export const STYLES = `:root {
  color-scheme: light dark;
  --bg: #f6f7f9;
  --card: #ffffff;
  --text: #1c2330;
  --muted: #5b6473;
  --border: #dde1e7;
  --accent: #3554d1;
  --accent-text: #ffffff;
  --pass-bg: #e7f6ec;
  --pass-border: #3a9b5c;
  --fail-bg: #fdecea;
  --fail-border: #c9473b;
  --error-bg: #fff5e0;
  --error-border: #c98a1b;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #14171c;
    --card: #1d2128;
    --text: #e7eaf0;
    --muted: #a0a8b6;
    --border: #2f3540;
    --accent: #7c95ff;
    --accent-text: #10131a;
    --pass-bg: #16301f;
    --fail-bg: #3a1c19;
    --error-bg: #3a2e14;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0;
  background: var(--bg);
  color: var(--text);
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
main { max-width: 44rem; margin: 0 auto; padding: 2.5rem 1.25rem 3rem; }
h1 { font-size: 1.9rem; line-height: 1.2; margin: 0.2rem 0 1rem; }
h2 { font-size: 1.15rem; margin: 0 0 0.6rem; display: flex; align-items: center; gap: 0.5rem; }
.eyebrow { margin: 0; color: var(--muted); font-size: 0.85rem; letter-spacing: 0.06em; text-transform: uppercase; }
.lede { font-size: 1.05rem; }
.note { color: var(--muted); font-size: 0.95rem; }
.step {
  display: inline-grid; place-items: center; width: 1.6rem; height: 1.6rem; border-radius: 50%;
  background: var(--accent); color: var(--accent-text); font-size: 0.9rem;
}
.card {
  background: var(--card); border: 1px solid var(--border); border-radius: 12px;
  padding: 1.25rem 1.4rem; margin: 1.25rem 0;
}
.actions { display: flex; flex-wrap: wrap; gap: 0.6rem; margin: 0.75rem 0; }
.actions:empty { display: none; }
button, .button {
  font: inherit; cursor: pointer; border-radius: 8px; padding: 0.55rem 1.1rem;
  border: 1px solid var(--border); background: var(--card); color: var(--text); text-decoration: none;
  display: inline-block;
}
button.primary { background: var(--accent); border-color: var(--accent); color: var(--accent-text); font-weight: 600; }
button:disabled { opacity: 0.55; cursor: default; }
button[hidden], [hidden] { display: none !important; }
#status { color: var(--muted); min-height: 1.5rem; margin: 0.5rem 0; }
#status[data-state="busy"]::before {
  content: ""; display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.5em; vertical-align: -0.1em;
  border: 2px solid var(--border); border-top-color: var(--accent); border-radius: 50%;
  animation: spin 0.8s linear infinite;
}
@keyframes spin { to { transform: rotate(360deg); } }
#widget:not(:empty) { margin: 0.75rem 0; }
#widget button { margin-right: 0.5rem; }
.result { border-left: 4px solid; border-radius: 8px; padding: 0.6rem 1rem; margin: 0.75rem 0; }
.result p { margin: 0.3rem 0; }
.result.passed { background: var(--pass-bg); border-color: var(--pass-border); }
.result.failed { background: var(--fail-bg); border-color: var(--fail-border); }
.result.error { background: var(--error-bg); border-color: var(--error-border); }
code { font: 0.9em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
footer { color: var(--muted); font-size: 0.9rem; }
`;
