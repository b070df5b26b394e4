/**
 * The logging port. The NestJS module plugs Nest's `Logger` in; plain apps
 * get {@link createConsoleLogger}. Callers pass secret-free messages and
 * context only: ids of our own (session id, pass id, idempotency key), counts,
 * statuses and Persona request ids, never tokens, secrets, keys or payloads.
 */
export interface RelayLogger {
  debug(message: string, context?: Record<string, unknown>): void;
  log(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
}

/** A logger that discards everything (tests, benchmarks). */
export const silentLogger: RelayLogger = {
  debug: () => undefined,
  log: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Writes one line per entry to stderr: `[persona-relay] LEVEL message {context}`. */
export function createConsoleLogger(options: { debug?: boolean } = {}): RelayLogger {
  const write = (level: string, message: string, context?: Record<string, unknown>) => {
    const suffix = context && Object.keys(context).length > 0 ? ` ${JSON.stringify(context)}` : '';
    process.stderr.write(`[persona-relay] ${level} ${message}${suffix}\n`);
  };
  return {
    debug: (m, c) => (options.debug ? write('DEBUG', m, c) : undefined),
    log: (m, c) => write('INFO', m, c),
    warn: (m, c) => write('WARN', m, c),
    error: (m, c) => write('ERROR', m, c),
  };
}

/** Secret-free description of an error for logs: name, code and message only, never the cause chain's payloads. */
export function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { error: error.name, ...(typeof code === 'string' ? { code } : {}), message: error.message };
  }
  return { error: typeof error };
}
