/**
 * The README's configuration table against the code: every option's environment variable and default must
 * appear in it, so the table cannot silently fall behind `RELAY_ENV_VARIABLES` / `DEFAULT_RELAY_OPTIONS`.
 * (Kept with the demo's suite: the README and the demo are documented together.)
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RELAY_OPTIONS, RELAY_ENV_VARIABLES } from '../../src/index.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** Table rows of the README, keyed by the environment variable in their first cell. */
function configRows(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of readme.split('\n')) {
    const match = /^\| `([A-Z_]+)` \|/.exec(line);
    if (match) rows.set(match[1]!, line);
  }
  return rows;
}

describe('README configuration table', () => {
  const rows = configRows();

  it.each(Object.entries(RELAY_ENV_VARIABLES))('documents %s as %s', (option, variable) => {
    const row = rows.get(variable);
    expect(row, `no row for ${variable}`).toBeDefined();
    expect(row).toContain(`| \`${option}\` |`);
    // `retry.maxRetries` → DEFAULT_RELAY_OPTIONS.retry.maxRetries
    const fallback = option.split('.').reduce<unknown>((defaults, key) => (defaults as Record<string, unknown> | undefined)?.[key], DEFAULT_RELAY_OPTIONS);
    if (fallback !== undefined) expect(row, `default of ${option}`).toContain(`\`${String(fallback)}\``);
  });

  it('finds the defaults of grouped options', () => {
    expect(rows.get(RELAY_ENV_VARIABLES['retry.maxRetries'])).toContain(`\`${DEFAULT_RELAY_OPTIONS.retry.maxRetries}\``);
  });

  it('documents the demo-only PORT', () => {
    expect(rows.get('PORT')).toContain('`3000`');
  });
});
