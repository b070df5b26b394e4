import { describe, expect, it } from 'vitest';
import { withTypeOrm } from '../../../src/typeorm/open-relay-storage.js';

function moduleNotFound(code: string, name: string): Error {
  return Object.assign(new Error(`Cannot find package '${name}' imported from /app/node_modules/persona-relay/dist/x.js`), { code });
}

describe('withTypeOrm', () => {
  it.each(['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND'])('names what to install when TypeORM is missing (%s)', async (code) => {
    const failure = withTypeOrm(() => Promise.reject(moduleNotFound(code, 'typeorm')));
    await expect(failure).rejects.toThrow(/needs the typeorm package: npm install typeorm pg .* or typeorm @electric-sql\/pglite/);
  });

  it('passes any other failure through unchanged, a missing package other than TypeORM included', async () => {
    const pg = moduleNotFound('ERR_MODULE_NOT_FOUND', 'pg');
    await expect(withTypeOrm(() => Promise.reject(pg))).rejects.toBe(pg);
    const broken = new TypeError('boom');
    await expect(withTypeOrm(() => Promise.reject(broken))).rejects.toBe(broken);
  });

  it('returns what the loader loaded', async () => {
    await expect(withTypeOrm(async () => 42)).resolves.toBe(42);
  });
});
