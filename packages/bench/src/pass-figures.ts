/**
 * The figures of each measured pass: calls by service, writes, CPU and memory, and for the hub the
 * comparison with the minimum, the wall-clock bound, the per-cluster model and the libraries' floor;
 * then the checks the efficiency work aims at.
 */
import {
  type CallCounts,
  type Minimum,
  minimumFor,
  PASS_KINDS,
  type PassKind,
  type PassSetting,
  ratio,
  serviceCalls,
  type WallBound,
  type WorldShape,
  wallBound,
} from './figures.js';
import type { BenchOptions } from './options.js';
import type { SidePass, SideRun } from './side-run.js';
import { passOf } from './side-run.js';

export interface PassFigures {
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

export interface HubPass extends PassFigures {
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

/** The hub's figures for each pass, beside the minimum, the bound, the per-cluster model and the floor. */
export function hubPassFigures(
  hub: SideRun,
  model: SideRun | undefined,
  floorSide: SideRun | undefined,
  shape: WorldShape,
  settings: Readonly<Record<PassKind, PassSetting>>,
  o: BenchOptions,
): HubPass[] {
  return PASS_KINDS.map((kind) => {
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
}

/** The hub's passes by kind. */
export function passesByKind(hubPasses: readonly HubPass[]): Record<PassKind, HubPass> {
  return Object.fromEntries(hubPasses.map((p) => [p.pass, p])) as Record<PassKind, HubPass>;
}

/** The targets of the efficiency work, as booleans. */
export function benchChecks(hubPasses: readonly HubPass[], shape: WorldShape, o: BenchOptions): Record<string, boolean> {
  const byKind = passesByKind(hubPasses);
  return {
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
}
