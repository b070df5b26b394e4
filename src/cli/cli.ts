/**
 * Entry point of `persona-relay` (`bin/persona-relay.js` imports the compiled file). The program itself is
 * `runPersonaRelayCli`; this file only binds it to the process.
 */
import { runPersonaRelayCli } from './main.js';

// No top-level await: this file is also compiled to CommonJS.
void runPersonaRelayCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
  env: process.env,
  now: Date.now,
}).then((exitCode) => {
  process.exitCode = exitCode;
});
