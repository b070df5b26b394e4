/**
 * The configuration as the library reads it (`loadOptionsFromEnv` → `resolveRelayOptions`), plus what the
 * commands need from it even when it is invalid: `doctor` still checks the database and Persona when the
 * options those checks use are fine.
 */
import { DEFAULT_RELAY_OPTIONS, loadOptionsFromEnv, resolveRelayOptions, type RelayOptionName } from '../core/config/index.js';
import { RelayError, RelayErrorCode } from '../core/errors.js';

/** Where the library keeps its tables. */
export interface DatabaseSettings {
  /** PostgreSQL URL; unset means the embedded PGlite database in `dataDir`. */
  readonly databaseUrl?: string;
  readonly dataDir: string;
}

/** What the anonymous challenge request to Persona is sent with. */
export interface PersonaSettings {
  readonly apiUrl: string;
  readonly claimType: string;
  readonly sandbox: boolean;
  readonly anonymousUserAgent: string;
  readonly personaVersion?: string;
  readonly requestTimeoutMs: number;
}

/** The configuration read from the environment. */
export interface Configuration {
  /** One `option: what is wrong` line per problem, as `resolveRelayOptions` reports them; empty when valid. */
  readonly problems: readonly string[];
  /** Absent when a problem names one of its options. */
  readonly database?: DatabaseSettings;
  /** Absent when a problem names one of its options. */
  readonly persona?: PersonaSettings;
}

const DATABASE_OPTIONS: readonly RelayOptionName[] = ['databaseUrl', 'dataDir'];
const PERSONA_OPTIONS: readonly RelayOptionName[] = [
  'apiUrl',
  'claimType',
  'sandbox',
  'anonymousUserAgent',
  'personaVersion',
  'retry.requestTimeoutMs',
];

/** Reads and validates the configuration; never throws for an invalid one. */
export function readConfiguration(env: Readonly<Record<string, string | undefined>>): Configuration {
  const layer = loadOptionsFromEnv(env);
  let problems: readonly string[];
  try {
    const options = resolveRelayOptions(layer);
    return {
      problems: [],
      database: { databaseUrl: options.databaseUrl, dataDir: options.dataDir },
      persona: {
        apiUrl: options.apiUrl,
        claimType: options.claimType,
        sandbox: options.sandbox,
        anonymousUserAgent: options.anonymousUserAgent,
        personaVersion: options.personaVersion,
        requestTimeoutMs: options.retry.requestTimeoutMs,
      },
    };
  } catch (error) {
    if (!(error instanceof RelayError) || error.code !== RelayErrorCode.INVALID_CONFIG) throw error;
    problems = error.context['problems'] as string[];
  }

  // Resolution failed, so read the options the checks need straight from the environment, with the library's
  // defaults; a check whose options have a problem is not run at all.
  const isClean = (options: readonly RelayOptionName[]) => problemsAbout(problems, options).length === 0;
  const defaults = DEFAULT_RELAY_OPTIONS;
  return {
    problems,
    ...(isClean(DATABASE_OPTIONS) && {
      database: { databaseUrl: layer.databaseUrl, dataDir: layer.dataDir ?? defaults.dataDir },
    }),
    ...(isClean(PERSONA_OPTIONS) && {
      persona: {
        apiUrl: layer.apiUrl ?? defaults.apiUrl,
        claimType: layer.claimType ?? defaults.claimType,
        // Without a valid API key the environment is unknown; a challenge of either environment proves reachability.
        sandbox: layer.sandbox ?? false,
        anonymousUserAgent: layer.anonymousUserAgent ?? defaults.anonymousUserAgent,
        personaVersion: layer.personaVersion,
        requestTimeoutMs: layer.retry?.requestTimeoutMs ?? defaults.retry.requestTimeoutMs,
      },
    }),
  };
}

/** The problems that keep the commands from knowing which database to open. */
export function databaseProblems(configuration: Configuration): string[] {
  return problemsAbout(configuration.problems, DATABASE_OPTIONS);
}

/** Problem lines start with the dotted name of their option. */
function problemsAbout(problems: readonly string[], options: readonly RelayOptionName[]): string[] {
  return problems.filter((line) => (options as readonly string[]).includes(line.slice(0, line.indexOf(':'))));
}
