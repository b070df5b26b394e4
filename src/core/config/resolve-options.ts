/**
 * Turns user options into {@link ResolvedRelayOptions}: layers merged option by option, defaults,
 * environment inference, validation of every option, and one error listing **all** problems.
 */
import { inspect } from 'node:util';
import {
  checkCombinations,
  checkDatabaseUrl,
  normalizeApiUrl,
  resolveAllowedClaimTypes,
  resolveEnvironment,
  resolveStaticKeys,
  resolveStorageKeys,
  type EffectiveOptions,
} from './cross-option-rules.js';
import { isEnvironmentLayer } from './load-env.js';
import { ProblemList } from './problem-list.js';
import {
  DEFAULT_ENTRIES,
  ENV_PARSE_PROBLEMS,
  nestOptions,
  OPTION_ENTRIES,
  OPTION_GROUPS,
  type OptionDescriptor,
  type RelayOptionName,
  type RelayOptions,
  type ResolvedRelayOptions,
} from './relay-options.js';

const DESCRIPTORS: ReadonlyMap<string, OptionDescriptor> = new Map(OPTION_ENTRIES.map(({ name, descriptor }) => [name, descriptor]));
const SECRETS: ReadonlySet<string> = new Set(OPTION_ENTRIES.filter(({ descriptor }) => descriptor.secret).map(({ name }) => name));

/**
 * Merges option layers (later ones win, option by option; `undefined` never overrides), applies defaults,
 * infers the environment and validates every option.
 *
 * Problems are collected, not thrown one by one: unknown keys, values of the wrong type or range,
 * missing required options, unparsable environment variables (from {@link loadOptionsFromEnv}), bad key
 * material and contradicting options are all reported together, by dotted option name (`retry.maxRetries`),
 * naming the variable when the value came from the environment. Secret values never appear in the error.
 * `apiKey` and `storageKey` (or `storageKeys`) are required; no secret is generated here: without
 * `cookieSecret` the result simply lacks it and the HTTP layer decides.
 *
 * @throws RelayError `INVALID_CONFIG` whose message has one `option: what is wrong` line per problem and
 *   whose `context.problems` holds the same lines
 * @throws TypeError when a layer is not an object
 *
 * @example
 * ```ts
 * const options = resolveRelayOptions(loadOptionsFromEnv(), { issuance: 'pool', retry: { maxRetries: 5 } });
 * options.environment; // 'sandbox' for a persona_sandbox_… API key
 * options.retry;       // usable as the Persona client's RetryPolicy
 * ```
 */
export function resolveRelayOptions(...layers: RelayOptions[]): ResolvedRelayOptions {
  if (!layers.every((layer) => typeof layer === 'object' && layer !== null && !Array.isArray(layer))) {
    throw new TypeError('resolveRelayOptions expects options objects');
  }
  const problems = new ProblemList();
  const given = mergeLayers(layers, problems);
  for (const { name, descriptor } of OPTION_ENTRIES) {
    const value = given.get(name);
    const problem = value === undefined ? undefined : descriptor.kind.check(value);
    if (problem !== undefined) problems.add(name, problem);
    else if (value === undefined && descriptor.required && !problems.has(name)) problems.require(name);
  }

  // From here on, an option without a problem has its declared type.
  const effective = nestOptions([...DEFAULT_ENTRIES, ...given]) as EffectiveOptions;
  const environment = resolveEnvironment(effective, problems);
  const allowedClaimTypes = resolveAllowedClaimTypes(effective, problems);
  const apiUrl = normalizeApiUrl(effective.apiUrl, problems);
  checkDatabaseUrl(effective.databaseUrl, problems);
  const storage = resolveStorageKeys(effective, problems);
  const staticKeys = resolveStaticKeys(effective, problems);
  checkCombinations(effective, problems);
  problems.throwIfAny();

  return sealResolved({
    ...effective,
    environment,
    sandbox: environment === 'sandbox',
    apiUrl,
    allowedClaimTypes: Object.freeze(allowedClaimTypes),
    // `storageKey` lives on inside `storageKeys`; the resolved options have no such field.
    storageKey: undefined,
    ...storage,
    ...staticKeys,
  });
}

/** The given values by option name; records which came from the environment and reports unparsable variables. */
function mergeLayers(layers: readonly RelayOptions[], problems: ProblemList): Map<RelayOptionName, unknown> {
  const given = new Map<RelayOptionName, unknown>();
  const unparsable = new Map<RelayOptionName, string>();
  for (const layer of layers) {
    const fromEnvironment = isEnvironmentLayer(layer);
    for (const [name, value] of givenValues(layer, problems)) {
      given.set(name, value);
      if (fromEnvironment) problems.fromEnvironment.add(name);
      else problems.fromEnvironment.delete(name);
    }
    for (const [name, problem] of Object.entries(layer[ENV_PARSE_PROBLEMS] ?? {})) {
      if (DESCRIPTORS.has(name)) unparsable.set(name as RelayOptionName, problem);
    }
  }
  // An unparsable variable counts unless the option was given a value some other way.
  for (const [name, problem] of unparsable) {
    if (given.has(name)) continue;
    problems.fromEnvironment.add(name);
    problems.add(name, problem);
  }
  return given;
}

/** The defined values of one layer by dotted name; every unknown key is a problem (usually a typo). */
function* givenValues(layer: RelayOptions, problems: ProblemList): Generator<[RelayOptionName, unknown]> {
  for (const [key, value] of Object.entries(layer)) {
    if (!OPTION_GROUPS.has(key)) {
      if (key.includes('.') || !DESCRIPTORS.has(key)) problems.addUnknown(key);
      else if (value !== undefined) yield [key as RelayOptionName, value];
    } else if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      if (value !== undefined) problems.add(key, 'must be an object');
    } else {
      for (const [member, memberValue] of Object.entries(value as Record<string, unknown>)) {
        const name = `${key}.${member}`;
        if (!DESCRIPTORS.has(name)) problems.addUnknown(name);
        else if (memberValue !== undefined) yield [name as RelayOptionName, memberValue];
      }
    }
  }
}

/** Drops absent options, freezes (groups included), and redacts secrets from the JSON and `util.inspect` forms. */
function sealResolved(values: Record<string, unknown>): ResolvedRelayOptions {
  const resolved = Object.fromEntries(
    Object.entries(values)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => [key, OPTION_GROUPS.has(key) ? Object.freeze({ ...(value as object) }) : value]),
  );
  const redacted = () => redact(resolved, '');
  Object.defineProperties(resolved, {
    toJSON: { value: redacted },
    [inspect.custom]: { value: redacted },
  });
  return Object.freeze(resolved) as unknown as ResolvedRelayOptions;
}

function redact(values: Record<string, unknown>, prefix: string): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(values).map(([key, value]) => {
      const name = `${prefix}${key}`;
      if (SECRETS.has(name)) return [key, '[redacted]'];
      return [key, OPTION_GROUPS.has(name) ? redact(value as Record<string, unknown>, `${name}.`) : value];
    }),
  );
}
