/**
 * Kinds of option values: how the text of an environment variable becomes a value, and the rule a given
 * value must follow. Plain functions, no decorators. Every problem is fixed text: no message ever echoes
 * the value, so a secret cannot leak through one.
 */
import proxyaddr from 'proxy-addr';

/** A value parsed from an environment variable, or what is wrong with the text. */
export type Parsed<T> = { readonly value: T } | { readonly problem: string };

/** How one kind of option is read and checked. */
export interface OptionKind<T> {
  /** The trimmed, non-empty text of the variable → value. */
  readonly parse: (text: string) => Parsed<T>;
  /** What is wrong with a given value, or `undefined` when it is a valid `T`. */
  readonly check: (value: unknown) => string | undefined;
}

/** Claim type ids as Persona accepts them. */
export const CLAIM_TYPE_PATTERN = /^[a-z0-9_]{1,100}$/;
/** Storage key ids are stored next to each ciphertext; keep them short and URL-safe. */
export const STORAGE_KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

const asText = (text: string): Parsed<string> => ({ value: text });

/** A string matching `pattern`; read from the environment as is. */
export function textMatching(pattern: RegExp, problem: string): OptionKind<string> {
  return { parse: asText, check: (value) => (typeof value === 'string' && pattern.test(value) ? undefined : problem) };
}

/** Any string. */
export const anyText: OptionKind<string> = textMatching(/^/, 'must be a string');

/** A PEM text; single-line `.env` files may write its line breaks as `\n`. */
export const pemText: OptionKind<string> = {
  // A value with real line breaks is left alone: its `\n` sequences are content.
  parse: (text) => ({ value: text.includes('\n') ? text : text.replaceAll('\\n', '\n') }),
  check: anyText.check,
};

/** `true`/`false`; the environment also accepts `1`/`0`, any case. */
export const flag: OptionKind<boolean> = {
  parse(text) {
    const lower = text.toLowerCase();
    if (lower === 'true' || lower === '1') return { value: true };
    if (lower === 'false' || lower === '0') return { value: false };
    return { problem: 'must be true, false, 1 or 0' };
  },
  check: (value) => (typeof value === 'boolean' ? undefined : 'must be true or false'),
};

function parseInteger(text: string): Parsed<number> {
  const value = /^[+-]?\d+$/.test(text) ? Number(text) : Number.NaN;
  return Number.isSafeInteger(value) ? { value } : { problem: 'must be an integer' };
}

/** An integer from `min` to `max`, both included. */
export function integerBetween(min: number, max: number): OptionKind<number> {
  const problem = `must be an integer from ${min} to ${max}`;
  const inRange = (value: unknown) => Number.isInteger(value) && (value as number) >= min && (value as number) <= max;
  return { parse: parseInteger, check: (value) => (inRange(value) ? undefined : problem) };
}

/** One of `values`; numbers are read from the environment as integers, strings as they are. */
export function oneOf<const T extends readonly (string | number)[]>(values: T): OptionKind<T[number]> {
  const problem = `must be one of ${values.map((value) => JSON.stringify(value)).join(', ')}`;
  return {
    parse: (typeof values[0] === 'number' ? parseInteger : asText) as (text: string) => Parsed<T[number]>,
    check: (value) => ((values as readonly unknown[]).includes(value) ? undefined : problem),
  };
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** Claim types; comma-separated in the environment. */
export const claimTypeList: OptionKind<string[]> = {
  parse: (text) => ({ value: splitList(text) }),
  check: (value) =>
    Array.isArray(value) && value.every((item) => typeof item === 'string' && CLAIM_TYPE_PATTERN.test(item))
      ? undefined
      : `must be an array of claim types matching ${CLAIM_TYPE_PATTERN.source}`,
};

/** Key id → base64 key; `id:base64,id:base64` in the environment. */
export const keyMap: OptionKind<Record<string, string>> = {
  parse(text) {
    // Null prototype: an id such as `__proto__` must become a key, not a prototype.
    const keys = Object.create(null) as Record<string, string>;
    // Base64 has no `:` or `,`, so both separators are unambiguous.
    for (const entry of splitList(text)) {
      const separator = entry.indexOf(':');
      const id = entry.slice(0, separator).trim();
      const key = entry.slice(separator + 1).trim();
      if (separator <= 0 || id === '' || key === '') return { problem: 'must be a comma-separated list of id:base64 entries' };
      if (Object.hasOwn(keys, id)) return { problem: 'names a key id more than once' };
      keys[id] = key;
    }
    return { value: keys };
  },
  check: (value) =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? undefined
      : 'must be an object mapping key ids to base64 keys',
};

function isTrustList(value: unknown): value is string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) return false;
  try {
    proxyaddr.compile(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * Which proxies' `X-Forwarded-For` entries are believed, as Express's `trust proxy` setting takes them: a
 * hop count (0 believes none), or the proxies' addresses and CIDR ranges (`loopback`, `linklocal` and
 * `uniquelocal` name the usual private ones); comma-separated in the environment.
 */
export const trustedProxies: OptionKind<number | string[]> = {
  parse: (text) => (/^\d+$/.test(text) ? parseInteger(text) : { value: splitList(text) }),
  check: (value) =>
    (Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 100) || isTrustList(value)
      ? undefined
      : 'must be a hop count from 0 to 100, or an array of proxy addresses and CIDR ranges',
};
