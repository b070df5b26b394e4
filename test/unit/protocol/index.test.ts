import { describe, expect, it } from 'vitest';
import * as protocol from '../../../src/core/protocol/index.js';

describe('protocol index', () => {
  it('exports every public function, class and constant by name', () => {
    expect(Object.keys(protocol).sort()).toEqual(
      [
        'TOKEN_INPUT_LENGTH',
        'buildTokenInput',
        'decodeBase64Flexible',
        'decodeBase64url',
        'decodeChallenge',
        'decodeChallengeObject',
        'decodePrivacyPassToken',
        'decryptClaimPayload',
        'encodeBase64url',
        'encodePrivacyPassToken',
        'findPrivateTokenChallenge',
        'formatPrivateTokenAuthorization',
        'generateNonce',
        'isBase64url',
        'isChallengeUsable',
        'parseAuthenticateHeader',
        'parseClaimPayload',
        'parseRfc3339DateTime',
        'readClaimPayload',
      ].sort(),
    );
    expect(protocol.TOKEN_INPUT_LENGTH).toBe(98);
  });

  it('imports nothing from frameworks or validation libraries (layer rule)', async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    const directory = new URL('../../../src/core/protocol/', import.meta.url);
    for (const file of await readdir(directory)) {
      // Only code counts: TSDoc examples may show callers passing `new Date()`.
      const source = (await readFile(new URL(file, directory), 'utf8')).replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
      expect(source, file).not.toMatch(/from '(@nestjs\/|typeorm|express|fastify|axios)/);
      expect(source, file).not.toMatch(/from 'node:(fs|http|https|net|child_process)/);
      expect(source, file).not.toMatch(/(from |import )'(class-validator|class-transformer|reflect-metadata)'/);
      expect(source, file).not.toMatch(/Date\.now\(|new Date\(\)/);
    }
  });
});
