/**
 * `persona-relay/nestjs` must load without `@nestjs/terminus` installed: only
 * a call to `RelayHealthIndicator.isHealthy()` needs it.
 */
import 'reflect-metadata';
import { describe, expect, it, vi } from 'vitest';

describe('@nestjs/terminus stays optional', () => {
  it('loads the NestJS entry point without it, and only the health check asks for it', async () => {
    vi.resetModules();
    vi.doMock('@nestjs/terminus', () => {
      throw new Error('@nestjs/terminus is not installed');
    });
    try {
      const nestjs = await import('../../src/nestjs/index.js');
      expect(nestjs.RelayModule).toBeTypeOf('function');
      expect(nestjs.RelayHealthIndicator).toBeTypeOf('function');

      const moduleRef = { get: () => ({}) };
      const indicator = new nestjs.RelayHealthIndicator(moduleRef as never);
      await expect(indicator.isHealthy()).rejects.toThrow(/needs @nestjs\/terminus/);
    } finally {
      vi.doUnmock('@nestjs/terminus');
      vi.resetModules();
    }
  });
});
