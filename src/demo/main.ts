/**
 * `npm start`: runs the demo until SIGINT/SIGTERM. Configuration comes from the environment only; with
 * nothing set it runs self-contained (in-process emulator, in-memory PGlite, throwaway secrets).
 */
import { startDemo } from './start-demo.js';

async function main(): Promise<void> {
  const demo = await startDemo();
  // Nest closes the app (relay services, database, emulator) on these signals, then exits with 0.
  demo.app.enableShutdownHooks(['SIGINT', 'SIGTERM'], { useProcessExit: true });

  // Printed last, so the URL is not buried under Nest's start-up log.
  const lines = ['', 'persona-relay demo', ...demo.summary.map((line) => `  ${line}`)];
  for (const line of lines) console.log(line);
  for (const warning of demo.warnings) console.warn(`  ${warning}`);
  console.log(`\n  Open ${demo.url} in your browser. Ctrl+C stops the demo.\n`);
}

main().catch((error: unknown) => {
  // Configuration errors list every problem in their message; a stack adds nothing for them.
  const message = error instanceof Error ? error.message : String(error);
  console.error(`persona-relay demo could not start:\n${message}`);
  process.exitCode = 1;
});
