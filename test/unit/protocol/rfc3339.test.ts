import { describe, expect, it } from 'vitest';
import { parseRfc3339DateTime } from '../../../src/core/protocol/rfc3339.js';

const iso = (text: string) => parseRfc3339DateTime(text)?.toISOString();

describe('parseRfc3339DateTime', () => {
  it.each([
    ['2026-05-18T18:00:00Z', '2026-05-18T18:00:00.000Z'],
    ['2026-05-18t18:00:00z', '2026-05-18T18:00:00.000Z'],
    ['2026-05-18T20:00:00+02:00', '2026-05-18T18:00:00.000Z'],
    ['2026-05-18T16:30:00-01:30', '2026-05-18T18:00:00.000Z'],
    ['2026-05-18T18:00:00+00:00', '2026-05-18T18:00:00.000Z'],
    ['2026-05-18T18:00:00-00:00', '2026-05-18T18:00:00.000Z'],
    ['2026-05-18T18:00:00.5Z', '2026-05-18T18:00:00.500Z'],
    ['2026-05-18T18:00:00.123456789Z', '2026-05-18T18:00:00.123Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['2000-02-29T23:59:59Z', '2000-02-29T23:59:59.000Z'],
    ['2026-12-31T23:59:60Z', '2027-01-01T00:00:00.000Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
    ['0099-06-15T12:00:00Z', '0099-06-15T12:00:00.000Z'],
  ])('parses %s', (text, expected) => {
    expect(iso(text)).toBe(expected);
  });

  it.each([
    ['date only', '2026-05-18'],
    ['no offset', '2026-05-18T18:00:00'],
    ['space instead of T', '2026-05-18 18:00:00Z'],
    ['no seconds', '2026-05-18T18:00Z'],
    ['offset without colon', '2026-05-18T18:00:00+0200'],
    ['offset hours only', '2026-05-18T18:00:00+02'],
    ['empty fraction', '2026-05-18T18:00:00.Z'],
    ['month 13', '2026-13-01T00:00:00Z'],
    ['month 0', '2026-00-01T00:00:00Z'],
    ['day 0', '2026-05-00T00:00:00Z'],
    ['31 April', '2026-04-31T00:00:00Z'],
    ['29 February in a common year', '2026-02-29T00:00:00Z'],
    ['29 February 1900', '1900-02-29T00:00:00Z'],
    ['30 February', '2024-02-30T00:00:00Z'],
    ['hour 24', '2026-05-18T24:00:00Z'],
    ['minute 60', '2026-05-18T18:60:00Z'],
    ['second 61', '2026-05-18T18:00:61Z'],
    ['offset hour 24', '2026-05-18T18:00:00+24:00'],
    ['offset minute 60', '2026-05-18T18:00:00+01:60'],
    ['two-digit year', '26-05-18T18:00:00Z'],
    ['five-digit year', '+02026-05-18T18:00:00Z'],
    ['human date', 'May 18, 2026 18:00 UTC'],
    ['epoch number', '1779127200'],
    ['surrounding spaces', ' 2026-05-18T18:00:00Z '],
    ['trailing newline', '2026-05-18T18:00:00Z\n'],
    ['empty', ''],
    ['non-ASCII digits', '２０２６-05-18T18:00:00Z'],
  ])('rejects %s', (_label, text) => {
    expect(parseRfc3339DateTime(text)).toBeUndefined();
  });

  it('throws TypeError for a non-string', () => {
    expect(() => parseRfc3339DateTime(1 as unknown as string)).toThrow(TypeError);
  });
});
