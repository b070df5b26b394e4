import { describe, expect, it } from 'vitest';
import * as config from '../../../src/core/config/index.js';

describe('config index', () => {
  it('exports every public function and constant by name', () => {
    expect(Object.keys(config).sort()).toEqual(
      [
        'CLAIM_TYPE_PATTERN',
        'DEFAULT_RELAY_OPTIONS',
        'ENV_PARSE_PROBLEMS',
        'RELAY_ENV_VARIABLES',
        'STORAGE_KEY_ID_PATTERN',
        'checkOptionRules',
        'checkRsaPrivateKeyPem',
        'checkRsaPublicKeyPem',
        'checkStorageKey',
        'isMatchingKeyPair',
        'loadOptionsFromEnv',
        'resolveRelayOptions',
      ].sort(),
    );
  });

  it('has a rule, an environment variable and a place in the options for every option', () => {
    const options = Object.keys(config.RELAY_ENV_VARIABLES);
    // Every option name is known to the resolver: none is reported as unknown.
    const problems = config.checkOptionRules(Object.fromEntries(options.map((option) => [option, Symbol('wrong type')])));
    expect(problems.map((problem) => problem.option).sort()).toEqual(options.sort());
  });

  it('checkOptionRules reports each failing option once', () => {
    expect(config.checkOptionRules({ poolSize: 0, apiKey: 'ok_key' })).toEqual([
      { option: 'poolSize', message: 'must be an integer from 1 to 1000' },
    ]);
  });
});
