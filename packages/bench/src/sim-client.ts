/**
 * The benchmark's simulator, each side's own process (`sim-process.ts`): start it and read its first
 * line, stop it, call its control API, and read its counters.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export interface Sim {
  readonly child: ChildProcess;
  readonly env: Record<string, string>;
  readonly awsEndpoint: string;
}

export async function startSim(worldFile: string): Promise<Sim> {
  const child = spawn(process.execPath, [...process.execArgv, join(here, 'sim-process.js'), worldFile], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the simulator exited (${String(code)}) before it was ready`)));
  });
  lines.on('line', () => undefined);
  const ready = JSON.parse(first) as { env: Record<string, string>; awsEndpoint: string };
  return { child, env: ready.env, awsEndpoint: ready.awsEndpoint };
}

export async function stopSim(sim: Sim): Promise<void> {
  if (sim.child.exitCode !== null || sim.child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => sim.child.once('exit', () => resolve()));
  sim.child.kill('SIGTERM');
  await gone;
}

export async function control<T>(sim: Sim, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${sim.awsEndpoint}/_sim/${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} /_sim/${path}: HTTP ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

/** The simulator's counters: calls by operation, and the calls that did not end `ok`/2xx. */
export async function counters(sim: Sim): Promise<{ calls: Record<string, number>; errors: Record<string, number> }> {
  const raw = await control<Record<string, { calls: number; outcomes: Record<string, number> }>>(sim, 'GET', 'counters');
  const calls: Record<string, number> = {};
  const errors: Record<string, number> = {};
  for (const [operation, count] of Object.entries(raw)) {
    calls[operation] = count.calls;
    for (const [outcome, n] of Object.entries(count.outcomes)) {
      if (outcome !== 'ok' && !/^2\d\d$/.test(outcome) && !(operation === 'k8s:get' && outcome === '404'))
        errors[`${operation} ${outcome}`] = n;
    }
  }
  return { calls, errors };
}
