/** What the `persona-relay` program touches outside itself, injected so tests run it in process. */
export interface CliIo {
  /** Writes one line (or a block of lines) to standard output: the report. */
  stdout(text: string): void;
  /** Writes one line (or a block of lines) to standard error: usage errors. */
  stderr(text: string): void;
  /** The environment the configuration is read from (`process.env` in the real program). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Wall clock in milliseconds, for the clock-skew check. */
  now(): number;
}
