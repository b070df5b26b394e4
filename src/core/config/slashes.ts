/**
 * Slash trimming for configured URLs and prefixes. Written as index scans
 * rather than `/\/+$/`: a regex engine retries that pattern from every slash
 * of a long run, which is quadratic in the run's length.
 */

/** `text` without the slashes it ends with. */
export function withoutTrailingSlashes(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === SLASH) end -= 1;
  return text.slice(0, end);
}

/** `text` without the slashes it starts or ends with. */
export function withoutEdgeSlashes(text: string): string {
  let start = 0;
  while (start < text.length && text.charCodeAt(start) === SLASH) start += 1;
  return withoutTrailingSlashes(text.slice(start));
}

const SLASH = 0x2f;
