/**
 * Starts the emulator as a separate process (as a platform would run it), so
 * its CPU work never counts against the app process being measured.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface EmulatorProcess {
  readonly url: string;
  close(): Promise<void>;
}

const CLI = fileURLToPath(new URL('../src/emulator/cli.ts', import.meta.url));

export async function startEmulatorProcess(flags: readonly string[]): Promise<EmulatorProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, '--port', '0', ...flags], {
    // The emulator logs every request to stderr; the benchmark's output is the table.
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
      const match = /listening on (\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`emulator exited with code ${code}`)));
  });
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
