#!/usr/bin/env node
/**
 * `pnpm bench`: the hub against a generated world in the simulator, each in its own process, over
 * three passes (cold: no aws-auth anywhere and nothing cached; warm: nothing to change; after 1% of
 * the permission sets were re-provisioned), then the per-cluster model of the earlier tool on the
 * same world, then the libraries' floor (the cold pass's calls with the same libraries and nothing
 * else). Prints a table and, as its last stdout line, one JSON object with every figure.
 * See README.md in this package for the definitions.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SimControlClient, type SimulatorProcess, startSimulatorProcess, stopChild } from '@eks-auth-hub/testing';
import {
  type CallCounts,
  type Minimum,
  minimumFor,
  PASS_KINDS,
  type PassKind,
  ratio,
  serviceCalls,
  type WallBound,
  wallBound,
} from './figures.js';
import { type BenchOptions, OptionsError, parseBenchOptions, USAGE } from './options.js';
import { type ChildPassResult, startChild } from './protocol.js';
import { benchWorld, desiredHubYaml, passSettings, type Reprovision, reprovisionPicks, worldShape } from './world.js';

const here = dirname(fileURLToPath(import.meta.url));

interface Sim extends SimulatorProcess {
  readonly control: SimControlClient;
}

async function startSim(worldFile: string): Promise<Sim> {
  const sim = await startSimulatorProcess(process.execPath, [...process.execArgv, join(here, 'sim-process.js'), worldFile], {
    cwd: process.cwd(),
    env: process.env,
    inheritStderr: true,
  });
  return { ...sim, control: new SimControlClient(sim.awsEndpoint) };
}

function stopSim(sim: Sim): Promise<void> {
  return stopChild(sim.child);
}

function control<T>(sim: Sim, method: string, path: string, body?: unknown): Promise<T> {
  return sim.control.call<T>(method, path, body);
}

/** The simulator's counters: calls by operation, and the calls that did not end `ok`/2xx. */
async function counters(sim: Sim): Promise<{ calls: Record<string, number>; errors: Record<string, number> }> {
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

type SidePass = { readonly child: ChildPassResult; readonly calls: Record<string, number>; readonly errors: Record<string, number> };

interface SideRun {
  /** Every pass for the hub and the per-cluster model; only the cold one for the floor. */
  readonly passes: Partial<Record<PassKind, SidePass>>;
}

function passOf(side: SideRun, kind: PassKind): SidePass {
  const run = side.passes[kind];
  if (run === undefined) throw new Error(`no ${kind} pass was run`);
  return run;
}

/** One side (the hub, the per-cluster model, the floor) over its passes (`kinds`), with a simulator of its own. */
async function runSide(
  module: string,
  args: readonly string[],
  worldFile: string,
  options: BenchOptions,
  picks: readonly Reprovision[],
  say: (line: string) => void,
  kinds: readonly PassKind[] = PASS_KINDS,
): Promise<SideRun> {
  const sim = await startSim(worldFile);
  const env: Record<string, string> = { ...sim.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  for (const name of ['AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE'])
    env[name] = '';
  const flags = module === 'hub-process.js' && options.hubHeapMb > 0 ? [`--max-old-space-size=${options.hubHeapMb}`] : [];
  const child = await startChild(join(here, module), args, env, flags).catch(async (error: unknown) => {
    await stopSim(sim);
    throw error;
  });
  try {
    if (options.latencyMs > 0) await control(sim, 'PUT', 'faults', { '*': { latencyMs: options.latencyMs } });
    const passes: SideRun['passes'] = {};
    for (const kind of kinds) {
      if (kind === 'reprovisioned') {
        for (const pick of picks) await control(sim, 'POST', 'permission-sets/reprovision', pick);
      }
      await control(sim, 'POST', 'counters/reset');
      const result = await child.pass(kind);
      const counted = await counters(sim);
      passes[kind] = { child: result, ...counted };
      say(
        `  ${module.replace(/-process\.js$/, '')} ${kind}: ${Math.round(result.wallMs)} ms, ${JSON.stringify(result.outcomes)}${result.failures.length > 0 ? ` e.g. ${result.failures[0] ?? ''}` : ''}`,
      );
    }
    return { passes };
  } finally {
    await child.stop();
    await stopSim(sim);
  }
}

interface PassFigures {
  readonly pass: PassKind;
  readonly wallMs: number;
  readonly aws: CallCounts;
  readonly kube: CallCounts;
  /** Kubernetes calls by purpose, as the process counted them. */
  readonly kubeByPurpose: CallCounts;
  readonly calls: number;
  readonly writes: { readonly awsAuth: number; readonly history: number };
  readonly cpuMs: number;
  readonly peakRssMb: number;
  /** V8 heap in use right after the pass. */
  readonly heapUsedMb: number;
  readonly outcomes: Readonly<Record<string, number>>;
  readonly errors: Readonly<Record<string, number>>;
}

function figuresOf(kind: PassKind, run: SidePass): PassFigures {
  const aws: Record<string, number> = {};
  const kube: Record<string, number> = {};
  for (const [operation, n] of Object.entries(run.calls)) (operation.startsWith('k8s:') ? kube : aws)[operation] = n;
  const p = run.child.kube;
  return {
    pass: kind,
    wallMs: Math.round(run.child.wallMs),
    aws,
    kube,
    kubeByPurpose: p,
    calls: Object.values(run.calls).reduce((a, b) => a + b, 0),
    writes: { awsAuth: (p['aws-auth-create'] ?? 0) + (p['aws-auth-update'] ?? 0), history: p['history-write'] ?? 0 },
    cpuMs: Math.round(run.child.cpuUserMs + run.child.cpuSystemMs),
    peakRssMb: Math.round(run.child.peakRssBytes / 1024 / 102.4) / 10,
    heapUsedMb: Math.round(run.child.heapUsedBytes / 1024 / 102.4) / 10,
    outcomes: run.child.outcomes,
    errors: run.errors,
  };
}

interface HubPass extends PassFigures {
  readonly minimum: Minimum;
  readonly ratioToMinimum: number | null;
  /** Actual calls against minimum + the hub's safety calls around writes. */
  readonly ratioToMinimumWithSafety: number | null;
  readonly bound: WallBound;
  readonly ratioToBound: number | null;
  readonly perCluster?: {
    readonly iamCalls: number;
    readonly writes: number;
    readonly calls: number;
    readonly wallMs: number;
    readonly iamRatio: number | null;
    readonly writesRatio: number | null;
  };
  /** The libraries' floor (cold pass only): the same calls with the same libraries and nothing else. */
  readonly floor?: {
    readonly wallMs: number;
    readonly cpuMs: number;
    readonly calls: number;
    readonly outcomes: Readonly<Record<string, number>>;
    readonly errors: Readonly<Record<string, number>>;
    readonly ratioToBound: number | null;
    /** Hub ÷ floor: what the hub's own work adds. */
    readonly hubWallRatio: number | null;
    readonly hubCpuRatio: number | null;
  };
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ')).join('\n');
}

const fmt = (n: number | null | undefined, digits = 2): string => (n === null || n === undefined ? '-' : n.toFixed(digits));

async function main(): Promise<number> {
  let options: BenchOptions | 'help';
  try {
    options = parseBenchOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof OptionsError)) throw error;
    process.stderr.write(`error: ${error.message}\n${USAGE}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const o = options;
  const say = (line: string): void => {
    if (!o.json) process.stdout.write(`${line}\n`);
  };
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadBefore: loadavg().map((l) => Math.round(l * 100) / 100),
  };
  const world = benchWorld(o);
  const shape = worldShape(world);
  const picks = reprovisionPicks(world, o.reprovisionShare, o.seed);
  const settings = passSettings(shape, picks);
  const clusters = shape.accounts.reduce((n, a) => n + a.clusters.length, 0);
  const dir = mkdtempSync(join(tmpdir(), 'eks-auth-hub-bench-'));
  try {
    const worldFile = join(dir, 'world.json');
    const hubFile = join(dir, 'hub.yaml');
    writeFileSync(worldFile, JSON.stringify(world));
    writeFileSync(hubFile, desiredHubYaml(world, o));
    say(
      `world: ${o.accounts} accounts × ${o.clustersPerAccount} clusters = ${clusters} clusters, ${o.ssoRoles} permission sets per account (all mapped), latency ${o.latencyMs} ms, concurrency ${o.concurrency}${o.hubHeapMb > 0 ? `, hub --max-old-space-size=${o.hubHeapMb}` : ''}`,
    );
    say(
      `machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGb} GiB, Node ${machine.node}, load ${machine.loadBefore.join(' ')}`,
    );
    const hub = await runSide('hub-process.js', [hubFile], worldFile, o, picks, say);
    const model = o.perCluster
      ? await runSide('per-cluster-process.js', [worldFile, String(o.concurrency)], worldFile, o, picks, say)
      : undefined;
    const floorSide = o.floor
      ? await runSide('floor-process.js', [worldFile, String(o.concurrency)], worldFile, o, picks, say, ['cold'])
      : undefined;

    const hubPasses: HubPass[] = PASS_KINDS.map((kind) => {
      const f = figuresOf(kind, passOf(hub, kind));
      const minimum = minimumFor(shape, settings[kind]);
      const bound = wallBound(minimum.total, minimum.criticalPath, o.latencyMs, o.concurrency);
      const m = model === undefined ? undefined : figuresOf(kind, passOf(model, kind));
      const floorRun = floorSide?.passes[kind];
      const fl = floorRun === undefined ? undefined : figuresOf(kind, floorRun);
      return {
        ...f,
        minimum,
        ratioToMinimum: ratio(f.calls, minimum.total),
        ratioToMinimumWithSafety: ratio(f.calls, minimum.total + minimum.safetyTotal),
        bound,
        ratioToBound: ratio(f.wallMs, bound.boundMs),
        ...(m === undefined
          ? {}
          : {
              perCluster: {
                iamCalls: serviceCalls(m.aws, 'iam'),
                writes: m.writes.awsAuth,
                calls: m.calls,
                wallMs: m.wallMs,
                iamRatio: ratio(serviceCalls(f.aws, 'iam'), serviceCalls(m.aws, 'iam')),
                writesRatio: ratio(f.writes.awsAuth, m.writes.awsAuth),
              },
            }),
        ...(fl === undefined
          ? {}
          : {
              floor: {
                wallMs: fl.wallMs,
                cpuMs: fl.cpuMs,
                calls: fl.calls,
                outcomes: fl.outcomes,
                errors: fl.errors,
                ratioToBound: ratio(fl.wallMs, bound.boundMs),
                hubWallRatio: ratio(f.wallMs, fl.wallMs),
                hubCpuRatio: ratio(f.cpuMs, fl.cpuMs),
              },
            }),
      };
    });
    const byKind = Object.fromEntries(hubPasses.map((p) => [p.pass, p])) as Record<PassKind, HubPass>;
    const checks = {
      warmCallsAtMost1_1xMinimum: (byKind.warm.ratioToMinimum ?? Infinity) <= 1.1,
      warmPassWritesNothing: byKind.warm.writes.awsAuth + byKind.warm.writes.history === 0,
      coldWallAtMost1_5xBound: (byKind.cold.ratioToBound ?? Infinity) <= 1.5,
      ...(byKind.cold.floor === undefined ? {} : { coldFloorAtMost1_5xBound: (byKind.cold.floor.ratioToBound ?? Infinity) <= 1.5 }),
      listRolesPerPassEqualsAccounts: hubPasses.every(
        (p) =>
          (p.aws['iam:ListRoles'] ?? 0) ===
          shape.accounts.filter((a) => a.clusters.length > 0).length * Math.max(1, Math.ceil(o.ssoRoles / 1000)),
      ),
      noFailures: hubPasses.every((p) => (p.outcomes['failed'] ?? 0) + (p.outcomes['blocked'] ?? 0) === 0),
    };
    const loadAfter = loadavg().map((l) => Math.round(l * 100) / 100);

    say('');
    say(
      table([
        [
          'hub pass',
          'wall ms',
          'bound ms',
          '÷bound',
          'calls',
          'minimum',
          '÷min',
          '+safety',
          '÷(min+safety)',
          'IAM',
          'writes',
          'history',
          'CPU ms',
          'peak RSS MB',
          'heap MB',
        ],
        ...hubPasses.map((p) => [
          p.pass,
          String(p.wallMs),
          String(Math.round(p.bound.boundMs)),
          fmt(p.ratioToBound),
          String(p.calls),
          String(p.minimum.total),
          fmt(p.ratioToMinimum, 3),
          String(p.minimum.safetyTotal),
          fmt(p.ratioToMinimumWithSafety, 3),
          String(serviceCalls(p.aws, 'iam')),
          String(p.writes.awsAuth),
          String(p.writes.history),
          String(p.cpuMs),
          fmt(p.peakRssMb, 1),
          fmt(p.heapUsedMb, 1),
        ]),
      ]),
    );
    say('');
    for (const p of hubPasses) {
      say(`${p.pass}: AWS ${JSON.stringify(p.aws)}; Kubernetes ${JSON.stringify(p.kube)}; by purpose ${JSON.stringify(p.kubeByPurpose)}`);
      say(
        `${' '.repeat(p.pass.length)}  minimum ${JSON.stringify(p.minimum.calls)} + safety ${JSON.stringify(p.minimum.safety)}; critical path ${p.minimum.criticalPath} calls${Object.keys(p.errors).length > 0 ? `; errors ${JSON.stringify(p.errors)}` : ''}`,
      );
    }
    if (model !== undefined) {
      say('');
      say(
        table([
          ['per-cluster model', 'wall ms', 'calls', 'IAM', 'writes', 'hub IAM ÷ model', 'hub writes ÷ model'],
          ...hubPasses.map((p) => [
            p.pass,
            String(p.perCluster?.wallMs ?? '-'),
            String(p.perCluster?.calls ?? '-'),
            String(p.perCluster?.iamCalls ?? '-'),
            String(p.perCluster?.writes ?? '-'),
            fmt(p.perCluster?.iamRatio, 4),
            fmt(p.perCluster?.writesRatio, 4),
          ]),
        ]),
      );
    }
    const floor = byKind.cold.floor;
    if (floor !== undefined) {
      say('');
      say(
        `libraries' floor, cold pass (the same ${floor.calls} calls with the same SDK clients and client-node, nothing else): ${floor.wallMs} ms = ${fmt(floor.ratioToBound)} × bound, CPU ${floor.cpuMs} ms${Object.keys(floor.errors).length > 0 ? `, errors ${JSON.stringify(floor.errors)}` : ''}`,
      );
      say(`hub ÷ floor: wall ${fmt(floor.hubWallRatio)}, CPU ${fmt(floor.hubCpuRatio)}`);
    }
    say('');
    say(
      `checks: ${Object.entries(checks)
        .map(([name, ok]) => `${name} ${ok ? 'yes' : 'NO'}`)
        .join(', ')}`,
    );
    say(`load after: ${loadAfter.join(' ')}`);
    const summary = {
      options: {
        accounts: o.accounts,
        clustersPerAccount: o.clustersPerAccount,
        ssoRoles: o.ssoRoles,
        latencyMs: o.latencyMs,
        concurrency: o.concurrency,
        reprovisionShare: o.reprovisionShare,
        seed: o.seed,
        hubHeapMb: o.hubHeapMb,
        floor: o.floor,
      },
      world: { accounts: shape.accounts.length, clusters, reprovisioned: picks.length },
      machine: { ...machine, loadAfter },
      passes: hubPasses,
      checks,
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
