/** Child processes for the chaos run: started with tsx, their output kept for the secrets scan. */
import { spawn, type ChildProcess } from 'node:child_process';

export interface ManagedProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
}

/** Everything every process printed, for the secrets scan. */
export const capturedOutput: string[] = [];

/**
 * Starts `node --import tsx <script> …` and waits for its `listening on <url>` line.
 * With `capture`, everything it prints is kept in {@link capturedOutput}.
 */
export function startProcess(
  script: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  capture: boolean,
): Promise<ManagedProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => capture && capturedOutput.push(chunk));
  return new Promise((resolve, reject) => {
    let stdout = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      if (capture) capturedOutput.push(chunk);
      stdout += chunk;
      const match = /listening on (\S+)/.exec(stdout);
      if (match) resolve({ url: match[1]!, child, exited });
    });
    void exited.then(() => reject(new Error(`${script} exited before listening`)));
  });
}
