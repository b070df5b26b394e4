import type { ChaosReport } from './chaos.js';

/** The promises that must hold after any chaos run. */
export function isChaosClean(report: ChaosReport): boolean {
  return (
    report.lostClaims === 0 &&
    report.wrongAnswers === 0 &&
    report.inconsistentDuplicateAnswers === 0 &&
    report.doubleSpendAttempts === 0 &&
    report.recordsUnknown === 0 &&
    report.secretHits.length === 0
  );
}

/** The chaos report as one markdown table. */
export function formatChaosReport(report: ChaosReport): string {
  const rows: Array<[string, string | number]> = [
    ['sessions', report.sessions],
    ['session creations given up (subject never got a session)', report.sessionCreationGaveUp],
    ['claims expected', report.claimsExpected],
    ['claims delivered', report.claimsDelivered],
    ['**lost claims**', report.lostClaims],
    ['wrong answers (result differs from the outcome chosen)', report.wrongAnswers],
    ['duplicate calls that disagreed', report.inconsistentDuplicateAnswers],
    ['passes billed (issued by Persona)', report.passesBilled],
    ['passes redeemed (spent)', report.passesRedeemed],
    ['passes refunded (failed claims)', report.passesRefunded],
    ['passes wasted (expired unused)', report.passesWasted],
    ['passes left unused (available at the end)', report.passesUnused],
    ['passes marked unusable (rejected or fate unknown)', report.passesUnusable],
    ['**double-spend attempts seen by the emulator**', report.doubleSpendAttempts],
    ['records left UNKNOWN', report.recordsUnknown],
    ['passes billed per delivered passed claim', report.billedPerPassedClaim.toFixed(2)],
    ['faults injected', report.faultsInjected],
    ['instances killed (SIGKILL) and restarted', report.instanceKills],
    ['secrets tracked / found in logs, database or browser responses', `${report.secretsChecked} / ${report.secretHits.length}`],
    ['duration (s)', report.seconds],
  ];
  return ['| measure | value |', '|---|---:|', ...rows.map(([name, value]) => `| ${name} | ${value} |`), ...report.secretHits.map((hit) => `\nLEAK: ${hit}`)].join('\n');
}
