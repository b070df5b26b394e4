/**
 * `persona-relay keys`: fresh secrets for a new deployment, as `.env` lines. The only command whose output
 * holds secrets, and only ones it has just made.
 */
import { randomBytes } from 'node:crypto';
import { RELAY_ENV_VARIABLES } from '../../core/config/index.js';
import { ExitCode } from '../exit-codes.js';
import type { Command } from './command.js';

export const keys: Command = async () => {
  const variables = {
    // AES-256-GCM key for secrets at rest: exactly 32 bytes, base64.
    [RELAY_ENV_VARIABLES.storageKey]: randomBytes(32).toString('base64'),
    // Signs the visitor cookie; 32 random bytes make 43 base64url characters, above the 32-character minimum.
    [RELAY_ENV_VARIABLES.cookieSecret]: randomBytes(32).toString('base64url'),
  };
  return {
    exitCode: ExitCode.OK,
    lines: Object.entries(variables).map(([name, value]) => `${name}=${value}`),
    json: variables,
  };
};
