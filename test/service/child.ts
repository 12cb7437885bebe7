/**
 * Paths of the repository and child-process helpers for the service-mode tests: light on imports, so
 * a test that only starts the built program does not load the simulator or the AWS SDK.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const bin = join(repo, 'apps', 'controller', 'dist', 'main.js');
export const demoHubFile = join(repo, 'config', 'sim', 'demo-hub.yaml');
export const demoWorldFile = join(repo, 'config', 'sim', 'demo-world.yaml');

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

// -------------------------------------------------------------------------------------------------
// Child processes.

export interface Exited {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Started {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  readonly exited: Promise<Exited>;
}

/** Starts a child process (cwd: the repository) and collects its output. */
export function start(command: string, args: readonly string[], env: Record<string, string> = {}): Started {
  const child = spawn(command, [...args], { cwd: repo, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<Exited>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal, stdout: out, stderr: err }));
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Runs a child process to its end. */
export function runToEnd(command: string, args: readonly string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<Exited> {
  return new Promise((resolve) => {
    execFile(
      command,
      [...args],
      { cwd: repo, env: { ...process.env, NO_COLOR: '1', ...env }, timeout: timeoutMs },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, signal: error?.signal ?? null, stdout, stderr });
      },
    );
  });
}
