import { describe, expect, it } from 'vitest';
import { withoutEdgeSlashes, withoutTrailingSlashes } from '../../../src/core/config/slashes.js';

describe('slash trimming', () => {
  it('drops trailing slashes only', () => {
    expect(withoutTrailingSlashes('https://x.example/api///')).toBe('https://x.example/api');
    expect(withoutTrailingSlashes('/a/b')).toBe('/a/b');
    expect(withoutTrailingSlashes('///')).toBe('');
    expect(withoutTrailingSlashes('')).toBe('');
  });

  it('drops leading and trailing slashes', () => {
    expect(withoutEdgeSlashes('//relay/v1//')).toBe('relay/v1');
    expect(withoutEdgeSlashes('/')).toBe('');
  });

  // Attack: a configured URL or prefix with a long run of slashes made `/\/+$/` quadratic (seconds at 50k).
  it('trims a run of 50,000 slashes that is not at the end, and one that is', () => {
    const run = '/'.repeat(50_000);
    expect(withoutTrailingSlashes(`https://x.example${run}a`)).toBe(`https://x.example${run}a`);
    expect(withoutTrailingSlashes(`https://x.example/a${run}`)).toBe('https://x.example/a');
    expect(withoutEdgeSlashes(`${run}relay${run}x${run}`)).toBe(`relay${run}x`);
  });
});
