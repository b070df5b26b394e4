/**
 * `instanceof` on the exported error classes holds across copies of the
 * package (its ESM and CommonJS builds are two copies of every module). A
 * second copy is simulated here by loading the modules again after
 * `vi.resetModules()`; test/unit/module-formats covers the real builds.
 */
import { describe, expect, it, vi } from 'vitest';
import * as first from '../../src/index.js';

type Api = typeof first;

async function loadSecondCopy(): Promise<Api> {
  vi.resetModules();
  const second = (await import('../../src/index.js')) as Api;
  expect(second.RelayError, 'a fresh copy of the module').not.toBe(first.RelayError);
  return second;
}

const personaApiError = (api: Api) =>
  new api.PersonaApiError({ operation: 'create-relay', status: 401, title: 'Unauthorized' });

describe('error classes across two copies of the package', () => {
  it('recognises a RelayError of the other copy, both ways, and keeps the code check of isRelayError', async () => {
    const second = await loadSecondCopy();
    const fromFirst = new first.RelayError(first.RelayErrorCode.STORAGE, 'disk full');
    const fromSecond = new second.RelayError(second.RelayErrorCode.STORAGE, 'disk full');
    expect(fromFirst).toBeInstanceOf(second.RelayError);
    expect(fromSecond).toBeInstanceOf(first.RelayError);
    expect(first.isRelayError(fromSecond, first.RelayErrorCode.STORAGE)).toBe(true);
    expect(first.isRelayError(fromSecond, first.RelayErrorCode.ABORTED)).toBe(false);
  });

  it('recognises PersonaApiError and PersonaTransportError of the other copy', async () => {
    const second = await loadSecondCopy();
    expect(personaApiError(second)).toBeInstanceOf(first.PersonaApiError);
    expect(personaApiError(first)).toBeInstanceOf(second.PersonaApiError);
    expect(personaApiError(second)).toBeInstanceOf(first.RelayError);
    expect(new second.PersonaTransportError('ECONNRESET')).toBeInstanceOf(first.PersonaTransportError);
  });

  it('does not widen instanceof: a plain RelayError is no PersonaApiError, a look-alike object is no RelayError', async () => {
    const second = await loadSecondCopy();
    expect(new second.RelayError(second.RelayErrorCode.STORAGE, 'x')).not.toBeInstanceOf(first.PersonaApiError);
    expect(new first.PersonaTransportError('EPIPE')).not.toBeInstanceOf(second.RelayError);
    expect({ name: 'RelayError', code: first.RelayErrorCode.STORAGE, message: 'x' }).not.toBeInstanceOf(first.RelayError);
    expect(new Error('x')).not.toBeInstanceOf(first.RelayError);
    expect(null).not.toBeInstanceOf(first.RelayError);
  });

  it('keeps instanceof exact for an application subclass of RelayError', async () => {
    class AppError extends first.RelayError {}
    const second = await loadSecondCopy();
    expect(new AppError(first.RelayErrorCode.STORAGE, 'x')).toBeInstanceOf(AppError);
    expect(new AppError(first.RelayErrorCode.STORAGE, 'x')).toBeInstanceOf(second.RelayError);
    expect(new first.RelayError(first.RelayErrorCode.STORAGE, 'x')).not.toBeInstanceOf(AppError);
    expect(new second.RelayError(second.RelayErrorCode.STORAGE, 'x')).not.toBeInstanceOf(AppError);
  });
});
