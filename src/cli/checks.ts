/** The report of `doctor`: one line per check, or JSON. */
import { ExitCode } from './exit-codes.js';

/** `warn` does not fail the run; `skipped` means a check it depends on failed. */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skipped';

export interface CheckResult {
  readonly name: string;
  readonly status: CheckStatus;
  /** One line, secret-free. */
  readonly message: string;
  /** Further lines (every configuration problem), shown indented. */
  readonly details?: readonly string[];
  /** For a failed check: the exit code it stands for (default {@link ExitCode.CHECK_FAILED}). */
  readonly exitCode?: ExitCode;
}

const MARKS: Record<CheckStatus, string> = { ok: '✓', warn: '!', fail: '✗', skipped: '-' };

export function checkLines(checks: readonly CheckResult[]): string[] {
  return checks.flatMap((check) => [
    `${MARKS[check.status]} ${check.name}: ${check.message}`,
    ...(check.details ?? []).map((line) => `    ${line}`),
  ]);
}

/** 0 when nothing failed, else the lowest specific code among the failures (see {@link ExitCode}). */
export function exitCodeOf(checks: readonly CheckResult[]): ExitCode {
  const codes = checks.filter((check) => check.status === 'fail').map((check) => check.exitCode ?? ExitCode.CHECK_FAILED);
  if (codes.length === 0) return ExitCode.OK;
  const specific = codes.filter((code) => code !== ExitCode.CHECK_FAILED);
  return specific.length === 0 ? ExitCode.CHECK_FAILED : (Math.min(...specific) as ExitCode);
}
