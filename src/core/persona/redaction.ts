/**
 * Scrubbing of text that came back from Persona before it goes into an error.
 *
 * Persona does not echo credentials, but an error body is untrusted text (a proxy or a
 * misbehaving server can put anything in it), and errors end up in logs. So every
 * string taken from a response passes through here.
 */

/** What replaces a secret. */
export const REDACTED = '[redacted]';

/**
 * Shapes of our credentials, matched even when the exact value is not known:
 * Persona API keys, bearer credentials and Privacy Pass authorization values.
 */
const CREDENTIAL_PATTERNS: readonly RegExp[] = [
  /persona_(?:sandbox|production)_[A-Za-z0-9_-]+/gi,
  /\bBearer\s+[^\s,;"']+/gi,
  /\bPrivateToken\s+token=[^\s,;"']+/gi,
];

/**
 * Replaces every occurrence of the given secret values and anything shaped like our
 * credentials with {@link REDACTED}.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let result = text;
  // Longest first, so a secret that contains another one is removed whole.
  const bySize = secrets.filter((secret) => secret.length > 0).sort((a, b) => b.length - a.length);
  for (const secret of bySize) {
    result = result.split(secret).join(REDACTED);
  }
  for (const pattern of CREDENTIAL_PATTERNS) {
    result = result.replace(pattern, REDACTED);
  }
  return result;
}

/**
 * Redacts, flattens control characters (so a body cannot forge log lines) and bounds the
 * length. Redaction happens before truncation, so no prefix of a secret survives a cut.
 */
export function sanitizeText(text: string, secrets: readonly string[], maxChars: number): string {
  const flat = redactSecrets(text, secrets)
    // eslint-disable-next-line no-control-regex -- matching control characters is the point: they become spaces
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    .trim();
  return flat.length > maxChars ? `${flat.slice(0, maxChars)}…` : flat;
}

/**
 * Deep copy of a JSON value with every string sanitized by {@link sanitizeText}. Nesting
 * deeper than `maxDepth` is dropped: `meta` objects are small, anything deeper is noise.
 */
export function sanitizeJson(
  value: unknown,
  secrets: readonly string[],
  maxChars: number,
  maxDepth: number,
): unknown {
  if (typeof value === 'string') return sanitizeText(value, secrets, maxChars);
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (maxDepth <= 0) return undefined;
  if (Array.isArray(value)) {
    return value.map((item) => sanitizeJson(item, secrets, maxChars, maxDepth - 1));
  }
  if (typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      copy[sanitizeText(key, secrets, maxChars)] = sanitizeJson(item, secrets, maxChars, maxDepth - 1);
    }
    return copy;
  }
  return undefined;
}
