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
});
