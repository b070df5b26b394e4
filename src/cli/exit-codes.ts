/**
 * Exit codes of `persona-relay`, part of its interface: scripts and orchestrators branch on them.
 * When several apply (a `doctor` run with an invalid configuration and an unreachable Persona), the
 * lowest-numbered cause above 1 wins, so the first thing to fix is what the code names.
 */
export const ExitCode = {
  /** Everything passed (warnings included). */
  OK: 0,
  /** A check failed that none of the codes below describes (e.g. pending migrations). */
  CHECK_FAILED: 1,
  /** Unknown command or option. */
  USAGE: 2,
  /** The configuration read from the environment is invalid. */
  INVALID_CONFIG: 3,
  /** The database cannot be opened (unreachable, refused, or an embedded one in use by another process). */
  STORAGE_UNREACHABLE: 4,
  /** Persona (or the emulator at `PERSONA_API_URL`) did not answer the challenge request as Persona does. */
  PERSONA_UNREACHABLE: 5,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
