/** Child processes for the tests (cwd: the repository): started with their output collected, or run to their end. */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { childAwsEnv } from './aws-env.js';
import { repoRoot } from './paths.js';

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

export interface ChildOptions {
  /** Leave out the ambient AWS settings of this process's environment (see aws-env.ts). */
  readonly cleanAws?: boolean;
}

function childEnv(env: Record<string, string>, options: ChildOptions): NodeJS.ProcessEnv {
  return options.cleanAws === true ? childAwsEnv(env) : { ...process.env, NO_COLOR: '1', ...env };
}

/** Starts a child process (cwd: the repository) and collects its output. */
export function start(command: string, args: readonly string[], env: Record<string, string> = {}, options: ChildOptions = {}): Started {
  const child = spawn(command, [...args], { cwd: repoRoot, env: childEnv(env, options), stdio: ['ignore', 'pipe', 'pipe'] });
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
export function runToEnd(
  command: string,
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 30_000,
  options: ChildOptions = {},
): Promise<Exited> {
  return new Promise((resolve) => {
    execFile(command, [...args], { cwd: repoRoot, env: childEnv(env, options), timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, signal: error?.signal ?? null, stdout, stderr });
    });
  });
}

/** The exit of a child sent a signal, or an error when it has not exited `ms` after. */
export function exitWithin(started: Started, ms: number, what = 'SIGTERM'): Promise<Exited> {
  return Promise.race([
    started.exited,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no exit ${ms / 1000} s after ${what}`)), ms)),
  ]);
}

/** The JSON lines a program logged on stdout, parsed. */
export function jsonLines<T = Record<string, unknown>>(stdout: string): T[] {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);
}
