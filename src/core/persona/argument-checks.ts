/**
 * Checks of arguments passed to the Persona client. A failure is programmer misuse, so it
 * throws a `TypeError` that names the argument and never quotes its value (it may be a
 * secret).
 */

/** Header values we put on the wire: visible ASCII, no spaces, so no header injection. */
const HEADER_VALUE = /^[\x21-\x7e]+$/;
/** Free-text header values (`User-Agent`): visible ASCII and inner spaces. */
const HEADER_TEXT = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;
/** RFC 9110 token68: what an unquoted `token=` parameter may contain. */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;

/** Asserts a non-empty string. */
export function requireText(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`${name} must be a non-empty string`);
  }
}

/** Asserts a string that can be sent as a header value as is. */
export function requireHeaderValue(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || !HEADER_VALUE.test(value)) {
    throw new TypeError(`${name} must be a non-empty string of visible ASCII characters`);
  }
}

/** Asserts a string that can be sent as a free-text header value (spaces allowed inside). */
export function requireHeaderText(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || !HEADER_TEXT.test(value)) {
    throw new TypeError(`${name} must be a non-empty string of printable ASCII characters`);
  }
}

/** Asserts a token68 string, sendable unquoted in `Authorization: PrivateToken token=…`. */
export function requireToken68(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || !TOKEN68.test(value)) {
    throw new TypeError(`${name} must be a non-empty base64url (token68) string`);
  }
}

/** Asserts a boolean. */
export function requireBooleanArgument(value: unknown, name: string): asserts value is boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean`);
}

/** Asserts a finite number ≥ `min`, and an integer when `integer` is set. */
export function requireNumber(
  value: unknown,
  name: string,
  { min, integer = false }: { min: number; integer?: boolean },
): asserts value is number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < min ||
    (integer && !Number.isInteger(value))
  ) {
    throw new TypeError(`${name} must be a finite ${integer ? 'integer' : 'number'} ≥ ${min}`);
  }
}
