/**
 * Strict RFC 3339 `date-time` parsing.
 *
 * `Date.parse` accepts far more than RFC 3339 (`"2026-05-18"`, `"May 18 2026"`, local times without an
 * offset, out-of-range days that roll over), so a challenge's `expires_at` is checked against the
 * grammar and the calendar first.
 */

/** `full-date "T" partial-time time-offset`; `T` and `Z` are case-insensitive (RFC 3339, section 5.6). */
const RFC3339_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parses an RFC 3339 date-time with a `Z` or numeric offset; `undefined` when the text does not follow
 * the grammar or names an impossible date or time. Fractions beyond milliseconds are truncated; a leap
 * second (`:60`) is read as the first instant of the next minute.
 *
 * @example
 * ```ts
 * parseRfc3339DateTime('2026-05-18T18:00:00Z')?.toISOString();      // '2026-05-18T18:00:00.000Z'
 * parseRfc3339DateTime('2026-05-18T20:00:00+02:00')?.toISOString(); // '2026-05-18T18:00:00.000Z'
 * parseRfc3339DateTime('2026-02-30T00:00:00Z');                     // undefined
 * parseRfc3339DateTime('2026-05-18 18:00');                         // undefined
 * ```
 */
export function parseRfc3339DateTime(text: string): Date | undefined {
  if (typeof text !== 'string') throw new TypeError('parseRfc3339DateTime expects a string');
  const match = RFC3339_DATE_TIME.exec(text);
  if (match === null) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number, number, number, number, number, number,
  ];
  const fraction = match[7] ?? '';
  const offsetSign = match[9] === '-' ? -1 : 1;
  const offsetHours = match[10] === undefined ? 0 : Number(match[10]);
  const offsetMinutes = match[11] === undefined ? 0 : Number(match[11]);

  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 60 || offsetHours > 23 || offsetMinutes > 59) return undefined;

  const milliseconds = Number(fraction.slice(0, 3).padEnd(3, '0'));
  const date = new Date(0);
  // setUTCFullYear rather than Date.UTC: the latter maps years 0–99 to 1900–1999.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, milliseconds);
  return new Date(date.getTime() - offsetSign * (offsetHours * 60 + offsetMinutes) * 60_000);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}
