/**
 * Starts the demo app: an in-process emulator unless Persona is configured, then the NestJS app.
 *
 * Imports go through the package's entry files only (`../index.js`, `../nestjs/index.js`,
 * `../emulator/index.js`), the same surface as `persona-relay`, `persona-relay/nestjs` and
 * `persona-relay/emulator` in a user's app. The package's self-reference (`persona-relay/nestjs`) cannot be
 * used here: it resolves to `dist/`, which does not exist before the first build.
 */
import 'reflect-metadata';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { startEmulator, type RunningEmulator } from '../emulator/index.js';
import { loadOptionsFromEnv, resolveRelayOptions, type RelayOptions, type ResolvedRelayOptions } from '../index.js';
import type { RelayModuleOptions } from '../nestjs/index.js';
import { AppModule } from './app.module.js';
import { createDemoMetrics } from './metrics.js';
import type { PersonaDescription } from './page/html.js';
import { securityHeaders } from './security-headers.js';
import { DEMO_EMULATOR_API_KEY, emulatorHostedFlow, resolveDemoSettings, verificationFor, type DemoSettings } from './settings.js';

/**
 * Longest a client may take to send its request headers, and its whole request. Node's defaults (60 s and
 * 300 s) let a client sending a byte every few seconds hold a connection for minutes; the relay's requests
 * are a few hundred bytes.
 */
export const DEMO_HEADERS_TIMEOUT_MS = 10_000;
export const DEMO_REQUEST_TIMEOUT_MS = 15_000;

/** Options of {@link startDemo}. */
export interface StartDemoOptions {
  /** Listen port; `0` picks a free one. Default `PORT`, else 3000. */
  readonly port?: number;
  /**
   * Listen address. Default `127.0.0.1`: the in-process emulator listens on loopback too, so the page
   * only works in a browser on this machine anyway.
   */
  readonly host?: string;
  /** Nest's log levels, or `false` for none. Default `['log', 'warn', 'error', 'fatal']`. */
  readonly logger?: LogLevel[] | false;
  /**
   * Force the hosted flow (a new tab plus "I've finished") even against an emulator, which then serves its
   * own hosted page. Default: the widget for an emulator, Persona's hosted flow for Persona. The browser test
   * uses it to run the flow real-Persona users see.
   */
  readonly hostedFlow?: boolean;
}

/** A running demo. */
export interface RunningDemo {
  /** The page's URL, without a trailing slash. */
  readonly url: string;
  /** The in-process emulator's URL, when the demo started one. */
  readonly emulatorUrl?: string;
  /** A one-line description of each choice a human should know about (Persona, database). */
  readonly summary: readonly string[];
  /** Throwaway secrets in use, one warning line each. */
  readonly warnings: readonly string[];
  readonly app: INestApplication;
  /** Stops the app, its storage and the emulator; later calls return the same promise. */
  close(): Promise<void>;
}

/**
 * Starts the demo with the configuration in `process.env` (see the README's configuration table), the same
 * environment `RelayModule.forRoot` reads.
 *
 * @throws Error for a demo-level misconfiguration, `RelayError` (`ERR_RELAY_INVALID_CONFIG`) listing every
 *   invalid option, or the listen error (e.g. `EADDRINUSE`)
 */
export async function startDemo(options: StartDemoOptions = {}): Promise<RunningDemo> {
  const settings = resolveDemoSettings(process.env);
  const port = options.port ?? demoPort(process.env.PORT);
  const host = options.host ?? '127.0.0.1';

  const emulator = settings.persona.kind === 'embedded-emulator' ? await startEmulator({ apiKeys: [DEMO_EMULATOR_API_KEY] }) : undefined;
  try {
    return await startApp({
      settings,
      emulator,
      port,
      host,
      logger: options.logger ?? ['log', 'warn', 'error', 'fatal'],
      hostedFlow: options.hostedFlow ?? false,
    });
  } catch (error) {
    await emulator?.close();
    throw error;
  }
}

async function startApp(input: {
  settings: DemoSettings;
  emulator: RunningEmulator | undefined;
  port: number;
  host: string;
  logger: LogLevel[] | false;
  hostedFlow: boolean;
}): Promise<RunningDemo> {
  const { settings, emulator } = input;
  const core: RelayOptions = {
    ...settings.relayOverrides,
    ...(emulator ? { apiKey: DEMO_EMULATOR_API_KEY, apiUrl: emulator.url } : {}),
  };
  // The module resolves the same options again; doing it here first fails fast with one readable list of
  // problems, and tells the page the claim type and environment.
  const resolved = resolveRelayOptions(loadOptionsFromEnv(), core);
  const natural = verificationFor(resolved.apiUrl);
  const verification = input.hostedFlow && natural.kind === 'widget' ? emulatorHostedFlow(resolved.apiUrl) : natural;

  const metrics = createDemoMetrics();
  const relay: RelayModuleOptions = {
    ...core,
    meterProvider: metrics.meterProvider,
    // The demo serves plain HTTP; a `Secure` cookie would be dropped by browsers that do not treat the
    // address as a secure context. Behind HTTPS, keep the default (Secure).
    cookie: { secure: false },
  };
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot({
      relay,
      page: { claimType: resolved.claimType, persona: describePersona(settings, resolved), verification },
      emulator,
      metrics,
    }),
    // No app-wide body parser: the demo's only POST routes are the relay's, which read the body themselves
    // after refusing an oversized declared length, instead of buffering up to the parser's limit first.
    { logger: input.logger, abortOnError: false, bodyParser: false },
  );
  try {
    app.use(securityHeaders(verification));
    // Nothing gained by announcing the framework.
    app.disable('x-powered-by');
    const server = app.getHttpServer() as Server;
    server.headersTimeout = DEMO_HEADERS_TIMEOUT_MS;
    server.requestTimeout = DEMO_REQUEST_TIMEOUT_MS;
    await app.listen(input.port, input.host);
  } catch (error) {
    await app.close();
    throw error;
  }

  const { port } = app.getHttpServer().address() as AddressInfo;
  const hostInUrl = input.host.includes(':') ? `[${input.host}]` : input.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${hostInUrl}:${port}`,
    emulatorUrl: emulator?.url,
    summary: [
      `Persona:  ${describePersonaLine(resolved, emulator)}`,
      `Database: ${describeDatabase(resolved)}`,
    ],
    warnings: settings.warnings,
    app,
    close: () => (closing ??= app.close()),
  };
}

function demoPort(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return 3000;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error('PORT must be an integer from 0 to 65535');
  return port;
}

function describePersona(settings: DemoSettings, resolved: ResolvedRelayOptions): PersonaDescription {
  if (settings.persona.kind === 'embedded-emulator') return 'embedded-emulator';
  if (verificationFor(resolved.apiUrl).kind === 'widget') return 'external-emulator';
  return resolved.sandbox ? 'persona-sandbox' : 'persona-production';
}

function describePersonaLine(resolved: ResolvedRelayOptions, emulator: RunningEmulator | undefined): string {
  if (emulator) return `built-in emulator at ${emulator.url} (production-style key, so both Pass and Fail work)`;
  const kind = verificationFor(resolved.apiUrl).kind === 'widget' ? 'emulator' : 'Persona';
  return `${kind} at ${resolved.apiUrl}, ${resolved.environment} environment`;
}

function describeDatabase(resolved: ResolvedRelayOptions): string {
  if (resolved.databaseUrl) return 'PostgreSQL (DATABASE_URL)';
  if (resolved.dataDir === 'memory://') return 'embedded PGlite, in memory';
  return `embedded PGlite in ${resolved.dataDir}`;
}
