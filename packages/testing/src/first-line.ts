/**
 * A program whose first stdout line says it is ready (the simulator prints one JSON object with the
 * hub principal's environment and its endpoints): spawned, its first line read, its stdout drained.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { repoRoot } from './paths.js';

export interface FirstLineOptions {
  /** Working directory (default: the repository). */
  readonly cwd?: string;
  /** The child's environment (default: this process's with NO_COLOR=1). */
  readonly env?: NodeJS.ProcessEnv;
  /** Make the child lead its own process group (kill it with `process.kill(-pid)`). */
  readonly detached?: boolean;
  /** Pass the child's stderr through instead of collecting it. */
  readonly inheritStderr?: boolean;
  /** What the program is called in the error when it exits before its first line (default: "it"). */
  readonly name?: string;
}

export interface FirstLineChild {
  readonly child: ChildProcess;
  /** The first stdout line; rejects when the child exits before it (never an unhandled rejection). */
  readonly firstLine: Promise<string>;
  /** What the child wrote to stderr so far (the last 500 kB at the least). */
  stderr(): string;
}

/** Spawns `command args` and reads its first stdout line; later lines are drained so it never blocks on a full pipe. */
export function spawnFirstLine(command: string, args: readonly string[], options: FirstLineOptions = {}): FirstLineChild {
  const child = spawn(command, [...args], {
    cwd: options.cwd ?? repoRoot,
    env: options.env ?? { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', options.inheritStderr === true ? 'inherit' : 'pipe'],
    detached: options.detached ?? false,
  });
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
    if (err.length > 1_000_000) err = err.slice(-500_000);
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const firstLine = new Promise<string>((resolve, reject) => {
    lines.once('line', (line) => {
      lines.on('line', () => undefined);
      resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`${options.name ?? 'it'} exited (${String(code)}) before it was ready: ${err}`)));
  });
  firstLine.catch(() => undefined); // a caller that expects an exit does not read the line
  return { child, firstLine, stderr: () => err };
}

export interface SimulatorProcess {
  readonly child: ChildProcess;
  /** The hub principal's environment, as the simulator printed it. */
  readonly env: Record<string, string>;
  readonly awsEndpoint: string;
  readonly kubeEndpoint: string;
  stderr(): string;
}

/**
 * Starts a simulator process (`node simBin …`, or any program that prints the simulator's first
 * line) and waits for its first line.
 */
export async function startSimulatorProcess(
  command: string,
  args: readonly string[],
  options: FirstLineOptions = {},
): Promise<SimulatorProcess> {
  const started = spawnFirstLine(command, args, { name: 'the simulator', ...options });
  const ready = JSON.parse(await started.firstLine) as { env: Record<string, string>; awsEndpoint: string; kubeEndpoint: string };
  return { child: started.child, env: ready.env, awsEndpoint: ready.awsEndpoint, kubeEndpoint: ready.kubeEndpoint, stderr: started.stderr };
}

/** Sends SIGTERM (unless it has ended already) and waits for the exit. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await gone;
}
