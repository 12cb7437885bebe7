/**
 * How the benchmark talks to its child processes (the hub, the per-cluster model): Node's IPC
 * channel, one request at a time, one answer per request.
 */
import { type ChildProcess, fork } from 'node:child_process';
import pLimit from 'p-limit';
import type { PassKind } from './figures.js';

export type ChildRequest = { readonly cmd: 'pass'; readonly pass: PassKind } | { readonly cmd: 'stop' };

/** What a process measured about one pass, from inside. */
export interface ChildPassResult {
  readonly wallMs: number;
  readonly cpuUserMs: number;
  readonly cpuSystemMs: number;
  /** Peak resident set size of the process so far (getrusage maxrss), in bytes. */
  readonly peakRssBytes: number;
  readonly heapUsedBytes: number;
  /** Clusters by outcome. */
  readonly outcomes: Readonly<Record<string, number>>;
  /** Kubernetes calls by purpose (`aws-auth-read`, `aws-auth-create`, `aws-auth-update`, `history-read`, `history-write`, `access-check`). */
  readonly kube: Readonly<Record<string, number>>;
  /** A few failure messages, for the log. */
  readonly failures: readonly string[];
}

export type ChildMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'pass'; readonly result: ChildPassResult }
  | { readonly type: 'error'; readonly message: string };

/** Runs inside a child: answers each request with `handle`, one at a time. */
export function serveRequests(handle: (request: ChildRequest) => Promise<ChildMessage | undefined>): void {
  let queue = Promise.resolve();
  process.on('message', (message: ChildRequest) => {
    queue = queue.then(async () => {
      let answer: ChildMessage | undefined;
      try {
        answer = await handle(message);
      } catch (error) {
        answer = { type: 'error', message: error instanceof Error ? error.message : String(error) };
      }
      if (answer !== undefined) process.send?.(answer);
      if (message.cmd === 'stop') process.disconnect();
    });
  });
  process.send?.({ type: 'ready' } satisfies ChildMessage);
}

export function measure<T>(run: () => Promise<T>): Promise<{ value: T; wallMs: number; cpuUserMs: number; cpuSystemMs: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  return run().then((value) => {
    const used = process.cpuUsage(cpu);
    return { value, wallMs: performance.now() - started, cpuUserMs: used.user / 1000, cpuSystemMs: used.system / 1000 };
  });
}

/**
 * One pass of a stand-in (the per-cluster model, the floor): `work` on every item, at most
 * `concurrency` at once, each ending `applied` or `failed` (the first few failures kept for the log),
 * measured from inside; `kube` is read once all are done.
 */
export async function runPass<T>(
  items: readonly T[],
  concurrency: number,
  id: (item: T) => string,
  work: (item: T) => Promise<void>,
  kube: () => Readonly<Record<string, number>>,
): Promise<ChildMessage> {
  const limit = pLimit(concurrency);
  const failures: string[] = [];
  const measured = await measure(() =>
    Promise.all(
      items.map((item) =>
        limit(async () => {
          try {
            await work(item);
            return 'applied';
          } catch (error) {
            if (failures.length < 5) failures.push(`${id(item)}: ${error instanceof Error ? error.message : String(error)}`);
            return 'failed';
          }
        }),
      ),
    ),
  );
  const outcomes: Record<string, number> = {};
  for (const outcome of measured.value) outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  const result: ChildPassResult = {
    wallMs: measured.wallMs,
    cpuUserMs: measured.cpuUserMs,
    cpuSystemMs: measured.cpuSystemMs,
    peakRssBytes: peakRssBytes(),
    heapUsedBytes: process.memoryUsage().heapUsed,
    outcomes,
    kube: { ...kube() },
    failures,
  };
  return { type: 'pass', result };
}

export function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

export interface Child {
  readonly process: ChildProcess;
  pass(kind: PassKind): Promise<ChildPassResult>;
  stop(): Promise<void>;
  /** Its stderr so far (the last 20,000 characters). */
  stderr(): string;
}

/** Forks `module` (its stdout dropped: the hub's logs are part of its cost, not of the report) and waits until it is ready. */
export async function startChild(
  module: string,
  args: readonly string[],
  env: Record<string, string>,
  nodeFlags: readonly string[] = [],
): Promise<Child> {
  const child = fork(module, [...args], {
    env: { ...process.env, ...env },
    execArgv: [...process.execArgv, ...nodeFlags],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err = (err + chunk).slice(-20_000);
  });
  let waiting: { resolve: (m: ChildMessage) => void; reject: (e: Error) => void } | undefined;
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) => {
      const error = new Error(`${module} exited (${String(code ?? signal)}): ${err.trim().split('\n').slice(-5).join(' | ')}`);
      waiting?.reject(error);
      reject(error);
    });
  });
  exited.catch(() => undefined);
  const next = (): Promise<ChildMessage> =>
    new Promise<ChildMessage>((resolve, reject) => {
      waiting = { resolve, reject };
    });
  child.on('message', (message: ChildMessage) => {
    const w = waiting;
    waiting = undefined;
    w?.resolve(message);
  });
  const ready = await Promise.race([next(), exited]);
  if (ready.type !== 'ready') throw new Error(`${module} did not start: ${ready.type === 'error' ? ready.message : ready.type}`);
  return {
    process: child,
    stderr: () => err,
    async pass(kind) {
      const answer = next();
      child.send({ cmd: 'pass', pass: kind } satisfies ChildRequest);
      const message = await Promise.race([answer, exited]);
      if (message.type === 'error') throw new Error(`${module}: ${message.message}`);
      if (message.type !== 'pass') throw new Error(`${module}: unexpected answer ${message.type}`);
      return message.result;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ cmd: 'stop' } satisfies ChildRequest);
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await gone;
      clearTimeout(timer);
    },
  };
}
