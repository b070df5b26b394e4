/**
 * Reads {@link RelayOptions} from environment variables, one variable per option of the option table.
 *
 * Parsing never throws: a value that cannot be parsed is left out of the options and recorded under
 * {@link ENV_PARSE_PROBLEMS}, so `resolveRelayOptions` reports it together with every other problem.
 */
import { ENV_PARSE_PROBLEMS, nestOptions, OPTION_ENTRIES, type RelayOptions } from './relay-options.js';

/** Objects made by {@link loadOptionsFromEnv}: problems with their values name the variable. */
const environmentLayers = new WeakSet<object>();

/**
 * True for an object returned by {@link loadOptionsFromEnv} (not for a copy of it).
 */
export function isEnvironmentLayer(options: object): boolean {
  return environmentLayers.has(options);
}

/**
 * Builds {@link RelayOptions} from environment variables (see `RELAY_ENV_VARIABLES`); grouped options
 * come back nested (`RELAY_MAX_RETRIES` → `retry.maxRetries`).
 *
 * - Values are trimmed; unset or blank variables are left out (so defaults apply).
 * - Booleans: `true`/`false`/`1`/`0`, any case. Integers: optional sign and digits.
 * - `RELAY_ALLOWED_CLAIM_TYPES`: comma-separated. `RELAY_STORAGE_KEYS`: `id:base64,id:base64`.
 * - PEM variables may use literal `\n` for line breaks (single-line `.env` files).
 * - An unparsable value never throws here: it is recorded under {@link ENV_PARSE_PROBLEMS} for
 *   `resolveRelayOptions` to report by the variable's name (never its value).
 *
 * Give the result to `resolveRelayOptions` as its own layer, so that problems with values read from the
 * environment name their variable and nested groups merge option by option.
 *
 * @example
 * ```ts
 * const options = resolveRelayOptions(loadOptionsFromEnv(), { claimType: 'age_over21_verified' });
 * loadOptionsFromEnv({ RELAY_SANDBOX: 'TRUE', RELAY_POOL_SIZE: '25' }); // { sandbox: true, pool: { size: 25 } }
 * ```
 */
export function loadOptionsFromEnv(env: Record<string, string | undefined> = process.env): RelayOptions {
  if (typeof env !== 'object' || env === null) throw new TypeError('loadOptionsFromEnv expects an object of variables');
  const values: [string, unknown][] = [];
  const problems: Record<string, string> = {};
  for (const { name, descriptor } of OPTION_ENTRIES) {
    const text = env[descriptor.env];
    if (typeof text !== 'string' || text.trim() === '') continue;
    const parsed = descriptor.kind.parse(text.trim());
    if ('problem' in parsed) problems[name] = parsed.problem;
    else values.push([name, parsed.value]);
  }
  const options: Record<PropertyKey, unknown> = nestOptions(values);
  if (Object.keys(problems).length > 0) options[ENV_PARSE_PROBLEMS] = Object.freeze(problems);
  environmentLayers.add(options);
  return options as RelayOptions;
}
