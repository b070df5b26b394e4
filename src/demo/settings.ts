/**
 * What the demo decides from the environment before anything starts: which Persona to talk to, how the
 * browser verifies, and which secrets are throwaway. Everything else (claim type, database, issuance, …) is
 * left to `RelayModule.forRoot`, which reads the same environment itself, exactly as in a user's app.
 */
import { randomBytes } from 'node:crypto';

/** API key of the in-process emulator. Production-style on purpose: sandbox relays always pass, so with a
 * sandbox key nobody could try the Fail button. */
export const DEMO_EMULATOR_API_KEY = 'persona_production_demo';

/** Persona's hosted verification page. */
export const PERSONA_HOSTED_FLOW_URL = 'https://relay.withpersona.com/relay';

/** Port used when `PORT` is unset. */
export const DEFAULT_DEMO_PORT = 3000;

/**
 * How the page lets the user verify.
 * - `widget`: load a script defining `window.Relay` (the emulator's `/widget.js`) and mount it in the page.
 * - `hosted`: open Persona's hosted flow in a new tab; the user comes back and presses "I've finished".
 *
 * Real Persona uses `hosted` because its widget ships as an npm package (`@persona/relay`) that needs a
 * bundler, and this demo deliberately has no build step for the browser.
 */
export type DemoVerification = { readonly kind: 'widget'; readonly scriptUrl: string } | { readonly kind: 'hosted'; readonly flowUrl: string };

/** Where relay calls go: an emulator started by the demo, or a Persona (or emulator) configured by the user. */
export type DemoPersona = { readonly kind: 'embedded-emulator' } | { readonly kind: 'configured'; readonly apiUrl: string };

/** The demo's decisions, before the emulator (if any) has a URL. */
export interface DemoSettings {
  readonly persona: DemoPersona;
  /** Options the demo passes to `RelayModule.forRoot` on top of what the module reads from the environment. */
  readonly relayOverrides: {
    readonly storageKey?: string;
    readonly cookieSecret?: string;
    readonly dataDir?: string;
  };
  /** One line each, meant for a human: throwaway secrets and what they mean. */
  readonly warnings: readonly string[];
}

type Env = Readonly<Record<string, string | undefined>>;

function isSet(env: Env, name: string): boolean {
  return (env[name] ?? '').trim() !== '';
}

/**
 * Decides the demo's setup from environment variables.
 *
 * - `PERSONA_API_KEY` set: relay calls go to `PERSONA_API_URL` (default Persona's API); no emulator.
 *   `PERSONA_API_URL` alone is refused: it almost always means a forgotten key.
 * - Neither set: an emulator is started in process with {@link DEMO_EMULATOR_API_KEY}.
 * - No `RELAY_STORAGE_KEY(S)`: a throwaway key, and an in-memory PGlite unless `RELAY_DATA_DIR` or
 *   `DATABASE_URL` says otherwise (data encrypted with a throwaway key is unreadable after a restart, so
 *   writing it to disk by default would only leave junk behind).
 * - No `RELAY_COOKIE_SECRET`: a throwaway secret, so visitors' cookies stop working after a restart.
 *
 * @throws Error when `PERSONA_API_URL` is set without `PERSONA_API_KEY`
 */
export function resolveDemoSettings(env: Env): DemoSettings {
  const hasKey = isSet(env, 'PERSONA_API_KEY');
  if (!hasKey && isSet(env, 'PERSONA_API_URL')) {
    throw new Error(
      'PERSONA_API_URL is set but PERSONA_API_KEY is not: set both to use your Persona account (or an emulator you run), or neither to use the built-in emulator.',
    );
  }
  const persona: DemoPersona = hasKey
    ? { kind: 'configured', apiUrl: (env.PERSONA_API_URL ?? '').trim() || 'https://api.withpersona.com' }
    : { kind: 'embedded-emulator' };

  const warnings: string[] = [];
  const relayOverrides: { storageKey?: string; cookieSecret?: string; dataDir?: string } = {};
  if (!isSet(env, 'RELAY_STORAGE_KEY') && !isSet(env, 'RELAY_STORAGE_KEYS')) {
    relayOverrides.storageKey = randomBytes(32).toString('base64');
    const persistent = isSet(env, 'RELAY_DATA_DIR') || isSet(env, 'DATABASE_URL');
    if (!persistent) relayOverrides.dataDir = 'memory://';
    warnings.push(
      persistent
        ? 'WARNING: RELAY_STORAGE_KEY is not set: secrets at rest are encrypted with a throwaway key, so data stored by this run cannot be read after a restart.'
        : 'WARNING: RELAY_STORAGE_KEY is not set: using a throwaway encryption key and an in-memory database; everything is forgotten on exit.',
    );
  }
  if (!isSet(env, 'RELAY_COOKIE_SECRET')) {
    relayOverrides.cookieSecret = randomBytes(32).toString('base64url');
    warnings.push('WARNING: RELAY_COOKIE_SECRET is not set: visitor cookies are signed with a throwaway secret and stop working after a restart.');
  }
  return { persona, relayOverrides, warnings };
}

/** An emulator's hosted-flow page, the same shape as Persona's. */
export function emulatorHostedFlow(apiUrl: string): DemoVerification {
  return { kind: 'hosted', flowUrl: `${withoutFinalSlash(apiUrl)}/relay` };
}

/**
 * How the browser verifies against `apiUrl`: Persona's hosted flow for Persona's own hosts, otherwise the
 * widget stand-in an emulator serves at `/widget.js` (an emulator started with `npm run emulator`, say).
 */
export function verificationFor(apiUrl: string): DemoVerification {
  const host = new URL(apiUrl).hostname;
  if (host === 'withpersona.com' || host.endsWith('.withpersona.com')) return { kind: 'hosted', flowUrl: PERSONA_HOSTED_FLOW_URL };
  return { kind: 'widget', scriptUrl: `${withoutFinalSlash(apiUrl)}/widget.js` };
}

/**
 * The resolved `apiUrl` has no trailing slash (option resolution drops them); a URL written by hand may end in
 * one. Not a `/\/+$/` replace: that is quadratic on a long run of slashes.
 */
function withoutFinalSlash(apiUrl: string): string {
  return apiUrl.endsWith('/') ? apiUrl.slice(0, -1) : apiUrl;
}
