/**
 * The problems of one resolution, reported together in one `INVALID_CONFIG` error so a deployment can be
 * fixed in one pass. Lines name options (and environment variables), never values.
 */
import { RelayError, RelayErrorCode } from '../errors.js';
import { OPTION_ENTRIES, RELAY_ENV_VARIABLES, type RelayOptionName } from './relay-options.js';

const OPTION_ORDER: readonly string[] = OPTION_ENTRIES.map(({ name }) => name);
/** Unknown keys are echoed (they are names, not values) but bounded. */
const MAX_UNKNOWN_KEY_LENGTH = 64;

/** The option a reported name belongs to: itself, or `storageKeys` for `storageKeys.<id>`. */
function optionOf(name: string): RelayOptionName | undefined {
  return OPTION_ORDER.find((option) => name === option || name.startsWith(`${option}.`)) as RelayOptionName | undefined;
}

/** Table position of an option, of a group (its first member) or of `storageKeys.<id>`. */
function rankOf(name: string): number {
  return OPTION_ORDER.findIndex((option) => name === option || name.startsWith(`${option}.`) || option.startsWith(`${name}.`));
}

/** Problems keyed by option name, reported in table order (unknown keys last). */
export class ProblemList {
  /** Options whose value (or unparsable text) came from the environment: their problems name the variable. */
  readonly fromEnvironment = new Set<RelayOptionName>();
  private readonly problems: { readonly rank: number; readonly line: string }[] = [];
  private readonly names = new Set<string>();

  add(name: string, message: string): void {
    this.names.add(name);
    const option = optionOf(name);
    const source = option !== undefined && this.fromEnvironment.has(option) ? ` (from ${RELAY_ENV_VARIABLES[option]})` : '';
    this.problems.push({ rank: rankOf(name), line: `${name}: ${message}${source}` });
  }

  /** Reports a key that is no option (usually a typo), after the problems of options. */
  addUnknown(key: string): void {
    const shown = key.length > MAX_UNKNOWN_KEY_LENGTH ? `${key.slice(0, MAX_UNKNOWN_KEY_LENGTH)}…` : key;
    this.problems.push({ rank: OPTION_ORDER.length, line: `${shown}: unknown option` });
  }

  /** Reports a required option that neither the options nor the environment give. */
  require(name: RelayOptionName): void {
    this.add(name, `is required (set ${RELAY_ENV_VARIABLES[name]})`);
  }

  has(...names: string[]): boolean {
    return names.some((name) => this.names.has(name));
  }

  throwIfAny(): void {
    if (this.problems.length === 0) return;
    // Array.prototype.sort is stable: problems of one option keep the order they were found in.
    const lines = [...this.problems].sort((a, b) => a.rank - b.rank).map(({ line }) => line);
    throw invalidConfigError(lines);
  }
}

/**
 * The one `INVALID_CONFIG` error for a list of `option: problem` lines; for
 * callers that check options of their own beside the core's (the HTTP
 * adapters' cookie attributes) and report both together.
 */
export function invalidConfigError(lines: readonly string[]): RelayError {
  const count = lines.length === 1 ? '1 problem' : `${lines.length} problems`;
  return new RelayError(RelayErrorCode.INVALID_CONFIG, `Invalid persona-relay configuration (${count}):\n${lines.join('\n')}`, {
    context: { problems: [...lines] },
  });
}
