/**
 * Entry point of `persona-relay-emulator` (`bin/persona-relay-emulator.js` imports the compiled file). The program
 * itself is `runCli`; this file only binds it to the process.
 */
import { runCli } from './cli-main.js';

const shutdownRequested = new Promise<void>((resolve) => {
  process.once('SIGINT', () => resolve());
  process.once('SIGTERM', () => resolve());
});

// No top-level await: this file is also compiled to CommonJS.
void runCli(process.argv.slice(2), {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  shutdownRequested,
}).then((exitCode) => process.exit(exitCode));
