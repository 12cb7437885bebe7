/**
 * The benchmark's simulator, each side's own process (`sim-process.ts`): start it and read its first
 * line, stop it, call its control API, and read its counters.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SimControlClient, type SimulatorProcess, startSimulatorProcess, stopChild } from '@eks-auth-hub/testing';

const here = dirname(fileURLToPath(import.meta.url));

export interface Sim extends SimulatorProcess {
  readonly control: SimControlClient;
}

export async function startSim(worldFile: string): Promise<Sim> {
  const sim = await startSimulatorProcess(process.execPath, [...process.execArgv, join(here, 'sim-process.js'), worldFile], {
    cwd: process.cwd(),
    env: process.env,
    inheritStderr: true,
  });
  return { ...sim, control: new SimControlClient(sim.awsEndpoint) };
}

export function stopSim(sim: Sim): Promise<void> {
  return stopChild(sim.child);
}

export function control<T>(sim: Sim, method: string, path: string, body?: unknown): Promise<T> {
  return sim.control.call<T>(method, path, body);
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
