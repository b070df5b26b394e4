import { Logger } from '@nestjs/common';
import type { RelayLogger } from '../core/logger.js';

/** Adapts Nest's `Logger` (context `PersonaRelay`) to the core's logging port. */
export function createNestRelayLogger(context = 'PersonaRelay'): RelayLogger {
  const logger = new Logger(context);
  const format = (message: string, extra?: Record<string, unknown>) =>
    extra && Object.keys(extra).length > 0 ? `${message} ${JSON.stringify(extra)}` : message;
  return {
    debug: (m, c) => logger.debug(format(m, c)),
    log: (m, c) => logger.log(format(m, c)),
    warn: (m, c) => logger.warn(format(m, c)),
    error: (m, c) => logger.error(format(m, c)),
  };
}
