/**
 * Soak with faults: many passes of the real CLI (`apply`, each pass its own process) against the
 * simulator (its own process), with seeded faults on every operation, the world changing between
 * and during passes, a second hub running at the same time, hubs killed with SIGKILL mid-pass, and
 * the safety invariants checked on every cluster after every pass. Then the faults stop and the
 * passes needed to converge are counted.
 *
 *   tsx test/soak/soak.ts [--accounts 50] [--clusters-per-account 10] [--passes 200] [--seed 1]
 *   tsx test/soak/soak.ts --short          (10 accounts × 5 clusters, 20 passes: CI)
 *
 * Needs `pnpm build` first (it runs packages/sim/dist/main.js and apps/controller/dist/main.js).
 * Exit 0 only when no invariant was violated and the first pass after the faults converged every cluster.
 * The last stdout line is one JSON object with the figures. See README.md in this folder.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ClusterResult, PassReport } from '@eks-auth-hub/core';
import { generatedPermissionSets, generateWorld, Random, SPOKE_ROLE, World, type WorldFileInput, worldSchema } from '@eks-auth-hub/sim';
import {
  SimControlClient as Control,
  expectedNodeEntry,
  generatedHubYaml,
  hubBin,
  type SimulatorProcess,
  simBin,
  sleep,
  start,
  startSimulatorProcess,
  withoutPath,
} from '@eks-auth-hub/testing';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

// -------------------------------------------------------------------------------------------------
// Options.

interface Options {
  readonly accounts: number;
  readonly clustersPerAccount: number;
  readonly passes: number;
  readonly seed: number;
  readonly short: boolean;
  readonly ssoRoles: number;
  /** Fault passes in which k8s:get/k8s:update also hang (the hub's 15 s timeouts fire). */
  readonly hangPasses: number;
  /** Keep the work folder (hub.yaml, reports of passes with violations) even when all is well. */
  readonly keep: boolean;
}

const USAGE = `Usage: tsx test/soak/soak.ts [--short] [--accounts N] [--clusters-per-account M] [--passes P] [--seed S]
                               [--sso-roles R] [--hang-passes H] [--keep]`;

function options(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      accounts: { type: 'string' },
      'clusters-per-account': { type: 'string' },
      passes: { type: 'string' },
      seed: { type: 'string' },
      short: { type: 'boolean' },
      'sso-roles': { type: 'string' },
      'hang-passes': { type: 'string' },
      keep: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const short = values.short === true;
  const whole = (value: string | undefined, name: string, fallback: number, min = 1): number => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number >= ${min}\n${USAGE}`);
    return n;
  };
  const passes = whole(values.passes, 'passes', short ? 20 : 200);
  return {
    accounts: whole(values.accounts, 'accounts', short ? 10 : 50),
    clustersPerAccount: whole(values['clusters-per-account'], 'clusters-per-account', short ? 5 : 10),
    passes,
    // Each hanging pass costs the hub's 15 s request timeout: one in the short run, 1 in 10 otherwise.
    hangPasses: Math.min(passes, whole(values['hang-passes'], 'hang-passes', short ? 1 : Math.max(1, Math.round(passes / 10)), 0)),
    seed: whole(values.seed, 'seed', 1),
    short,
    ssoRoles: whole(values['sso-roles'], 'sso-roles', 5, 2),
    keep: values.keep === true,
  };
}

// -------------------------------------------------------------------------------------------------
// Small helpers.

const DESIRED_SETS = ['AdministratorAccess', 'ReadOnly'] as const;
const SSO_PATH = /^\/aws-reserved\/sso\.amazonaws\.com\/(?:([a-z0-9-]+)\/)?$/;

const key = (arn: string): string => arn.toLowerCase();
const roleName = (arn: string): string => arn.slice(arn.lastIndexOf('/') + 1);
const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function pick<T>(rng: Random, items: readonly T[]): T | undefined {
  return items.length === 0 ? undefined : items[rng.int(items.length)];
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

function inc(record: Record<string, number>, name: string, by = 1): void {
  record[name] = (record[name] ?? 0) + by;
}

async function pool<T, R>(items: readonly T[], limit: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await run(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

// -------------------------------------------------------------------------------------------------
// The simulator process and its control API.

function startSim(o: Options): Promise<SimulatorProcess> {
  return startSimulatorProcess(process.execPath, [
    simBin,
    '--accounts',
    String(o.accounts),
    '--clusters-per-account',
    String(o.clustersPerAccount),
    '--sso-roles',
    String(o.ssoRoles),
    '--seed',
    String(o.seed),
    '--port',
    '0',
  ]);
}

interface FaultSpec {
  latencyMs?: number;
  throttleRate?: number;
  errorRate?: number;
  resetRate?: number;
  hangRate?: number;
}

// -------------------------------------------------------------------------------------------------
// The soak's own model of the world (what it set up and changed), independent of the hub's code.

interface NodegroupModel {
  readonly nodeRole: string;
  readonly windows: boolean;
}

interface ClusterModel {
  readonly id: string;
  readonly account: string;
  readonly region: string;
  readonly name: string;
  readonly creator: string;
  readonly nodegroups: Map<string, NodegroupModel>;
  readonly fargate: Map<string, string>;
}

interface AccountModel {
  readonly id: string;
  /** Permission set → its current Identity Center role ARN without path; null while deleted. */
  readonly sso: Map<string, string | null>;
  /** Permission set → the region of its role path (undefined: the global path). */
  readonly ssoRegion: Map<string, string | undefined>;
  /** Permission set → pass in which its role was deleted. */
  readonly deletedAt: Map<string, number>;
}

interface NodeRoleModel {
  /** Canonical ARN (no path). */
  readonly rolearn: string;
  ec2: boolean;
  fargate: boolean;
  windows: boolean;
}

/** The model at one moment: what the invariants compare against. */
interface ModelSnapshot {
  /** cluster id → lower-case ARN (no path) → node role. */
  readonly nodeRoles: Map<string, Map<string, NodeRoleModel>>;
  /** account → permission set → role ARN (no path) or null. */
  readonly sso: Map<string, Map<string, string | null>>;
}

class Model {
  readonly clusters: ClusterModel[] = [];
  readonly accounts = new Map<string, AccountModel>();

  constructor(file: WorldFileInput) {
    // The simulator builds its world from the same generated file with the same seed: the same roles.
    const world = new World(worldSchema.parse(file));
    for (const account of file.accounts ?? []) {
      const sso = new Map<string, string | null>();
      const ssoRegion = new Map<string, string | undefined>();
      for (const set of account.permissionSets ?? []) {
        const roles = world.permissionSetRoles(account.id, set.name);
        const role = roles[0];
        if (roles.length !== 1 || role === undefined) throw new Error(`${set.name} has ${roles.length} roles in ${account.id}`);
        sso.set(set.name, withoutPath(role.arn));
        ssoRegion.set(set.name, SSO_PATH.exec(role.path)?.[1]);
      }
      this.accounts.set(account.id, { id: account.id, sso, ssoRegion, deletedAt: new Map() });
      for (const c of account.clusters ?? []) {
        this.clusters.push({
          id: `${account.id}/${c.region ?? ''}/${c.name}`,
          account: account.id,
          region: c.region ?? '',
          name: c.name,
          creator: c.creator ?? '',
          nodegroups: new Map(
            (c.nodegroups ?? []).map((n) => [n.name, { nodeRole: n.nodeRole, windows: (n.amiType ?? '').startsWith('WINDOWS') }]),
          ),
          fargate: new Map((c.fargateProfiles ?? []).map((f) => [f.name, f.podExecutionRoleArn])),
        });
      }
    }
  }

  account(id: string): AccountModel {
    const account = this.accounts.get(id);
    if (account === undefined) throw new Error(`no account ${id} in the model`);
    return account;
  }

  nodeRolesOf(cluster: ClusterModel): Map<string, NodeRoleModel> {
    const out = new Map<string, NodeRoleModel>();
    const node = (arn: string): NodeRoleModel => {
      const rolearn = withoutPath(arn);
      let n = out.get(key(rolearn));
      if (n === undefined) {
        n = { rolearn, ec2: false, fargate: false, windows: false };
        out.set(key(rolearn), n);
      }
      return n;
    };
    for (const ng of cluster.nodegroups.values()) {
      const n = node(ng.nodeRole);
      n.ec2 = true;
      if (ng.windows) n.windows = true;
    }
    for (const role of cluster.fargate.values()) node(role).fargate = true;
    return out;
  }

  snapshot(): ModelSnapshot {
    return {
      nodeRoles: new Map(this.clusters.map((c) => [c.id, this.nodeRolesOf(c)])),
      sso: new Map([...this.accounts.values()].map((a) => [a.id, new Map(a.sso)])),
    };
  }
}

/** What aws-auth must hold once converged (the desired file's entries, resolved, plus node roles). */
function desiredEntries(model: Model, cluster: ClusterModel): LiveRole[] {
  const out: LiveRole[] = [];
  const account = model.account(cluster.account);
  const admin = account.sso.get('AdministratorAccess');
  const ro = account.sso.get('ReadOnly');
  if (admin !== null && admin !== undefined) out.push({ rolearn: admin, username: 'admin:{{SessionName}}', groups: ['system:masters'] });
  if (ro !== null && ro !== undefined) out.push({ rolearn: ro, username: 'ro:{{SessionName}}', groups: ['viewers'] });
  for (const n of model.nodeRolesOf(cluster).values()) {
    if (out.some((e) => key(e.rolearn) === key(n.rolearn))) continue;
    out.push(expectedNodeEntry(n));
  }
  return out;
}

// -------------------------------------------------------------------------------------------------
// The live aws-auth of every cluster, read through the control API (not through the hub).

interface LiveRole {
  readonly rolearn: string;
  readonly username: string;
  readonly groups: readonly string[];
}

interface Live {
  readonly resourceVersion: string;
  readonly data: Record<string, string>;
  readonly roles: readonly LiveRole[];
  /** Set when mapRoles is not a readable YAML list of entries. */
  readonly unreadable?: string;
}

interface AwsAuthState {
  readonly data: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly resourceVersion: string;
}

function parseRoles(text: string | undefined): { roles: LiveRole[]; unreadable?: string } {
  if (text === undefined || text.trim() === '') return { roles: [] };
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    return { roles: [], unreadable: `mapRoles is not YAML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
  }
  if (value === null) return { roles: [] };
  if (!Array.isArray(value)) return { roles: [], unreadable: 'mapRoles is not a YAML list' };
  const roles: LiveRole[] = [];
  for (const item of value as unknown[]) {
    if (typeof item !== 'object' || item === null) return { roles, unreadable: 'a mapRoles item is not a mapping' };
    const e = item as Record<string, unknown>;
    if (typeof e['rolearn'] !== 'string') return { roles, unreadable: 'a mapRoles item has no rolearn' };
    roles.push({
      rolearn: e['rolearn'],
      username: typeof e['username'] === 'string' ? e['username'] : '',
      groups: Array.isArray(e['groups']) ? (e['groups'] as unknown[]).map(String) : [],
    });
  }
  return { roles };
}

async function readLive(control: Control, clusters: readonly ClusterModel[]): Promise<Map<string, Live | null>> {
  const states = await pool(clusters, 16, (c) =>
    control.call<AwsAuthState | null>('GET', 'aws-auth', undefined, { account: c.account, region: c.region, cluster: c.name }),
  );
  const out = new Map<string, Live | null>();
  clusters.forEach((c, i) => {
    const state = states[i];
    if (state === null || state === undefined) {
      out.set(c.id, null);
      return;
    }
    const parsed = parseRoles(state.data['mapRoles']);
    out.set(c.id, {
      resourceVersion: state.resourceVersion,
      data: state.data,
      roles: parsed.roles,
      ...(parsed.unreadable === undefined ? {} : { unreadable: parsed.unreadable }),
    });
  });
  return out;
}

const find = (live: Live | null | undefined, arn: string): LiveRole | undefined => live?.roles.find((r) => key(r.rolearn) === key(arn));

// -------------------------------------------------------------------------------------------------
// Hub processes.

interface HubRun {
  readonly label: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
  /** Killed by the soak (SIGKILL mid-pass). */
  readonly killed: boolean;
  /** Killed by the watchdog: the pass did not end in time. */
  readonly overran: boolean;
  /** Sent SIGTERM by the soak: how long after it the process exited. */
  readonly exitAfterTermMs?: number;
  readonly report?: PassReport;
}

interface HubStart {
  readonly child: ChildProcess;
  readonly done: Promise<HubRun>;
}

function startHub(
  command: 'apply' | 'plan',
  label: string,
  hubFile: string,
  env: Record<string, string>,
  killAfterMs: number | undefined,
  watchdogMs: number,
  termAfterMs?: number,
): HubStart {
  const started = performance.now();
  const hub = start(process.execPath, [hubBin, command, '--config', hubFile, '--output', 'json'], env, { cleanAws: true });
  const child = hub.child;
  let killed = false;
  let overran = false;
  const killTimer =
    killAfterMs === undefined
      ? undefined
      : setTimeout(() => {
          if (child.exitCode === null && child.signalCode === null) {
            killed = true;
            child.kill('SIGKILL');
          }
        }, killAfterMs);
  const term = termAfterMs === undefined ? undefined : sigtermAfter(child, termAfterMs);
  const watchdog = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) {
      overran = true;
      child.kill('SIGKILL');
    }
  }, watchdogMs);
  const done = hub.exited.then(({ code, signal, stdout: out, stderr: err }): HubRun => {
    if (killTimer !== undefined) clearTimeout(killTimer);
    clearTimeout(watchdog);
    const exitAfterTermMs = term?.exitedAfterMs();
    let report: PassReport | undefined;
    if (!killed && !overran) {
      try {
        report = JSON.parse(out) as PassReport;
      } catch {
        report = undefined;
      }
    }
    return {
      label,
      code,
      signal,
      stdout: out,
      stderr: err,
      durationMs: performance.now() - started,
      killed,
      overran,
      ...(exitAfterTermMs === undefined ? {} : { exitAfterTermMs }),
      ...(report === undefined ? {} : { report }),
    };
  });
  return { child, done };
}

// -------------------------------------------------------------------------------------------------
// Invariants.

interface Violation {
  readonly pass: string;
  readonly cluster: string;
  readonly kind: string;
  readonly message: string;
}

interface PassContext {
  readonly pass: string;
  readonly before: Map<string, Live | null>;
  readonly after: Map<string, Live | null>;
  readonly start: ModelSnapshot;
  readonly end: ModelSnapshot;
  readonly runs: readonly HubRun[];
}

interface ListingChecks {
  blockedByListing: number;
  checked: number;
  skipped: number;
}

function resultsFor(runs: readonly HubRun[], clusterId: string): ClusterResult[] {
  return runs.flatMap((r) => r.report?.clusters.filter((c) => c.clusterId === clusterId) ?? []);
}

function checkPass(model: Model, ctx: PassContext, listing: ListingChecks): Violation[] {
  const violations: Violation[] = [...checkDeadlines(ctx)];
  const anyUnreported = ctx.runs.some((r) => r.report === undefined);
  for (const run of ctx.runs) {
    if (run.overran)
      violations.push({
        pass: ctx.pass,
        cluster: '-',
        kind: 'hub-overran',
        message: `${run.label} did not finish its pass in time and was killed`,
      });
    else if (
      !run.killed &&
      !termedBeforeItsHandler(run) &&
      (run.report === undefined || (run.code !== 0 && run.code !== 1) || /internal error/i.test(run.stderr))
    ) {
      violations.push({
        pass: ctx.pass,
        cluster: '-',
        kind: 'hub-crash',
        message: `${run.label} exited ${String(run.code ?? run.signal)} without a usable report; stderr: ${run.stderr.slice(-600).trim()}`,
      });
    }
  }
  for (const c of model.clusters) {
    const v = (kind: string, message: string): void => {
      violations.push({ pass: ctx.pass, cluster: c.id, kind, message });
    };
    const before = ctx.before.get(c.id) ?? null;
    const after = ctx.after.get(c.id) ?? null;
    const written = (before?.resourceVersion ?? null) !== (after?.resourceVersion ?? null);
    const results = resultsFor(ctx.runs, c.id);
    const succeeded = results.some((r) => r.outcome === 'applied' || r.outcome === 'unchanged');

    for (const r of results) if (r.lockout !== undefined) v('lockout', `${r.lockout.message} (restored: ${String(r.lockout.restored)})`);
    if (before !== null && after === null) {
      v('aws-auth-deleted', 'aws-auth existed before the pass and is gone after it');
      continue;
    }
    if (after === null) continue;
    if (written && before?.unreadable !== undefined)
      v('write-over-unreadable', `aws-auth was unreadable before the pass (${before.unreadable}) and was written in it`);
    if (written && before !== null && before.unreadable === undefined && before.roles.length > 0) {
      // Removed ARNs, not counting an SSO role replaced by a newer role of the same permission set.
      const set = (arn: string): string | undefined => /:role\/AWSReservedSSO_(.+)_[0-9a-f]{16}$/.exec(arn)?.[1];
      const removed = before.roles.filter((r) => {
        if (find(after, r.rolearn) !== undefined) return false;
        const s = set(r.rolearn);
        return s === undefined || !after.roles.some((x) => set(x.rolearn) === s);
      });
      if (removed.length / before.roles.length > 0.5) {
        v(
          'mass-removal-applied',
          `a write removed ${removed.length} of ${before.roles.length} entries: ${removed.map((r) => r.rolearn).join(', ')}`,
        );
      }
    }
    if (written && after.unreadable !== undefined) v('aws-auth-unreadable', `written in this pass and unreadable: ${after.unreadable}`);
    if (written) {
      const seen = new Set<string>();
      for (const r of after.roles) {
        if (seen.has(key(r.rolearn))) v('duplicate-arn', `${r.rolearn} is mapped twice after a write`);
        seen.add(key(r.rolearn));
        if (withoutPath(r.rolearn) !== r.rolearn)
          v('role-arn-with-path', `${r.rolearn} carries a path: the authenticator never matches it`);
      }
    }

    // Node mappings are never removed or weakened.
    for (const e of before?.roles ?? []) {
      if (!e.groups.includes('system:nodes')) continue;
      const now = find(after, e.rolearn);
      if (now === undefined || !now.groups.includes('system:nodes'))
        v('node-mapping-lost', `${e.rolearn} [${e.groups.join(', ')}] was mapped as a node before the pass and is not after`);
    }
    // Every node role the cluster had throughout the pass is mapped once a hub got through the cluster.
    if (succeeded) {
      const atStart = ctx.start.nodeRoles.get(c.id) ?? new Map<string, NodeRoleModel>();
      const atEnd = ctx.end.nodeRoles.get(c.id) ?? new Map<string, NodeRoleModel>();
      for (const [k, n] of atStart) {
        if (!atEnd.has(k)) continue;
        const got = find(after, n.rolearn);
        if (got === undefined || !got.groups.includes('system:nodes')) {
          v(
            'node-role-unmapped',
            `node role ${n.rolearn} is not mapped with system:nodes although the pass ${results.map((r) => r.outcome).join('/')} the cluster`,
          );
        }
      }
    }
    // The hub still authenticates: it created the cluster, or its spoke role is mapped to system:masters;
    // and its mapping, where it existed, survives.
    const spoke = `arn:aws:iam::${c.account}:role/${SPOKE_ROLE}`;
    const spokeBefore = find(before, spoke);
    const spokeAfter = find(after, spoke);
    if (key(c.creator) !== key(spoke) && !(spokeAfter?.groups.includes('system:masters') ?? false))
      v('hub-locked-out', `the spoke role is not the creator and not mapped to system:masters`);
    if (spokeBefore?.groups.includes('system:masters') && !(spokeAfter?.groups.includes('system:masters') ?? false)) {
      v('hub-mapping-lost', `the spoke role's system:masters mapping existed before the pass and is gone after it`);
    }
    // No mapping lost whose permission set still resolves to the same role.
    for (const set of DESIRED_SETS) {
      const r0 = ctx.start.sso.get(c.account)?.get(set) ?? null;
      const r1 = ctx.end.sso.get(c.account)?.get(set) ?? null;
      if (r0 === null || find(before, r0) === undefined) continue;
      if (r1 === r0 && find(after, r0) === undefined)
        v('sso-mapping-lost', `${set} → ${r0} was mapped before the pass, still resolves, and is not mapped after it`);
      if (r1 !== null && r1 !== r0 && find(after, r0) === undefined && find(after, r1) === undefined) {
        v('sso-mapping-lost', `${set} → ${r0} (reassigned to ${r1} during the pass) was mapped before and neither is mapped after it`);
      }
    }
    // No write derived from a failed listing; no write nobody reported; no reported write that did not happen.
    // A write cut short by the pass's deadline (or a SIGTERM) is reported as such: it may have landed.
    const appliedBy = ctx.runs.filter(
      (r) =>
        r.report?.clusters.some(
          (x) => x.clusterId === c.id && (x.outcome === 'applied' || x.lockout !== undefined || x.interruptedWrite !== undefined),
        ) ?? false,
    );
    for (const run of ctx.runs) {
      const r = run.report?.clusters.find((x) => x.clusterId === c.id);
      if (r === undefined) continue;
      if (r.outcome === 'blocked' && r.refusals.some((f) => f.rule === 'incomplete-listing')) {
        listing.blockedByListing += 1;
        const others = ctx.runs.filter((o) => o !== run);
        if (others.some((o) => o.report === undefined) || others.some((o) => appliedBy.includes(o))) {
          listing.skipped += 1;
        } else {
          listing.checked += 1;
          if (written) {
            v(
              'write-after-failed-listing',
              `${run.label} reported the cluster blocked (${r.refusals.map((f) => f.message).join('; ')}) yet aws-auth went from resourceVersion ${before?.resourceVersion ?? 'none'} to ${after.resourceVersion}`,
            );
          }
        }
      }
      if (r.outcome === 'applied' && !written)
        v('applied-without-write', `${run.label} reported applied but resourceVersion stayed ${after.resourceVersion}`);
    }
    if (written && !anyUnreported && appliedBy.length === 0) {
      v(
        'unexplained-write',
        `aws-auth went from ${before?.resourceVersion ?? 'none'} to ${after.resourceVersion} but no hub reported a write (${results.map((r) => r.outcome).join('/')})`,
      );
    }
  }
  return violations;
}

/** Differences between a cluster's live aws-auth and the desired state (empty: converged). */
function convergence(model: Model, live: Map<string, Live | null>): { cluster: string; problems: string[] }[] {
  const out: { cluster: string; problems: string[] }[] = [];
  const sorted = (groups: readonly string[]): string => [...new Set(groups)].sort().join(',');
  for (const c of model.clusters) {
    const problems: string[] = [];
    const now = live.get(c.id) ?? null;
    if (now === null) {
      out.push({ cluster: c.id, problems: ['no aws-auth'] });
      continue;
    }
    if (now.unreadable !== undefined) problems.push(now.unreadable);
    const arns = now.roles.map((r) => key(r.rolearn));
    if (new Set(arns).size !== arns.length) problems.push('an ARN is mapped twice');
    const expected = desiredEntries(model, c);
    for (const want of expected) {
      const got = find(now, want.rolearn);
      if (got === undefined) problems.push(`${want.rolearn} is not mapped`);
      else if (
        got.username !== want.username ||
        // A node mapping is never weakened: groups it already had (added by hand, or by a Windows node
        // group since removed) stay, so a node entry converges when it holds at least the wanted groups.
        (want.groups.includes('system:nodes')
          ? !want.groups.every((g) => got.groups.includes(g))
          : sorted(got.groups) !== sorted(want.groups))
      ) {
        problems.push(`${want.rolearn}: ${got.username} [${sorted(got.groups)}], want ${want.username} [${sorted(want.groups)}]`);
      }
    }
    const spoke = key(`arn:aws:iam::${c.account}:role/${SPOKE_ROLE}`);
    for (const e of now.roles) {
      if (expected.some((x) => key(x.rolearn) === key(e.rolearn)) || key(e.rolearn) === spoke || e.groups.includes('system:nodes'))
        continue;
      problems.push(`${e.rolearn} (${e.username}) is mapped but not desired`);
    }
    if (problems.length > 0) out.push({ cluster: c.id, problems });
  }
  return out;
}

// -------------------------------------------------------------------------------------------------
// Changes to the world.

interface Tampered {
  /** broken: mapRoles made unreadable YAML; mass: so many foreign entries added that removing them is a mass removal. */
  readonly kind: 'broken' | 'mass';
  readonly at: number;
  /** broken: the mapRoles text before. */
  readonly saved?: string;
}

interface Mutations {
  readonly counts: Record<string, number>;
  readonly failures: string[];
  nextName: number;
  /** Clusters whose aws-auth the soak has put in a state the guard must refuse to build on; repaired later. */
  readonly tampered: Map<string, Tampered>;
}

const MASS_ROLE = /:role\/hand-mass-[0-9]+$/;

type WorldChange = 'reassign' | 'delete-role' | 'restore' | 'nodegroup-add' | 'nodegroup-remove';

async function worldChange(kind: WorldChange, rng: Random, model: Model, control: Control, m: Mutations, pass: number): Promise<void> {
  const accounts = [...model.accounts.values()];
  try {
    switch (kind) {
      case 'reassign': {
        const account = pick(rng, accounts);
        if (account === undefined) return;
        const sets = rng.chance(0.8) ? [...DESIRED_SETS] : [...account.sso.keys()];
        const set = pick(
          rng,
          sets.filter((s) => account.sso.get(s) !== null),
        );
        if (set === undefined) return;
        const out = await control.call<{ roleArn: string }>('POST', 'permission-sets/reassign', {
          account: account.id,
          permissionSet: set,
        });
        account.sso.set(set, withoutPath(out.roleArn));
        inc(m.counts, kind);
        return;
      }
      case 'delete-role': {
        // One deleted permission set per account at a time: a restore follows a few passes later.
        const account = pick(
          rng,
          accounts.filter((a) => a.deletedAt.size === 0),
        );
        const set = pick(rng, DESIRED_SETS);
        if (account === undefined || set === undefined) return;
        const arn = account.sso.get(set);
        if (arn === null || arn === undefined) return;
        await control.call('DELETE', 'roles', { account: account.id, name: roleName(arn) });
        account.sso.set(set, null);
        account.deletedAt.set(set, pass);
        inc(m.counts, kind);
        return;
      }
      case 'restore': {
        for (const account of accounts) {
          for (const [set, at] of account.deletedAt) {
            if (pass - at < 3 && pass >= 0) continue;
            const region = account.ssoRegion.get(set);
            const out = await control.call<{ roleArn: string }>('POST', 'permission-sets/assign', {
              account: account.id,
              permissionSet: set,
              ...(region === undefined ? {} : { region }),
            });
            account.sso.set(set, withoutPath(out.roleArn));
            account.deletedAt.delete(set);
            inc(m.counts, kind);
          }
        }
        return;
      }
      case 'nodegroup-add': {
        const cluster = pick(rng, model.clusters);
        if (cluster === undefined) return;
        const n = m.nextName++;
        let nodeRole: string;
        if (rng.chance(0.5)) {
          // A new role with a path: aws-auth must get it without.
          const out = await control.call<{ roleArn: string }>('POST', 'roles', {
            account: cluster.account,
            name: `soak-node-${n}`,
            path: '/soak/nodes/',
          });
          nodeRole = out.roleArn;
        } else {
          nodeRole = `arn:aws:iam::${cluster.account}:role/node-${rng.int(3)}`;
        }
        const windows = rng.chance(0.15);
        const name = `soak-ng-${n}`;
        await control.call('POST', 'nodegroups', {
          account: cluster.account,
          region: cluster.region,
          cluster: cluster.name,
          name,
          nodeRole,
          amiType: windows ? 'WINDOWS_CORE_2022_x86_64' : 'AL2023_x86_64_STANDARD',
        });
        cluster.nodegroups.set(name, { nodeRole, windows });
        inc(m.counts, kind);
        return;
      }
      case 'nodegroup-remove': {
        const cluster = pick(
          rng,
          model.clusters.filter((c) => c.nodegroups.size > 0),
        );
        if (cluster === undefined) return;
        const name = pick(rng, [...cluster.nodegroups.keys()]);
        if (name === undefined) return;
        await control.call('DELETE', 'nodegroups', { account: cluster.account, region: cluster.region, cluster: cluster.name, name });
        cluster.nodegroups.delete(name);
        inc(m.counts, kind);
        return;
      }
    }
  } catch (error) {
    m.failures.push(`pass ${pass} ${kind}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** A hand edit of aws-auth (only between passes: the control API's PUT has no resourceVersion precondition). */
async function handEdit(rng: Random, model: Model, control: Control, m: Mutations, pass: number): Promise<void> {
  const cluster = pick(rng, model.clusters);
  if (cluster === undefined || m.tampered.has(cluster.id)) return;
  const ref = { account: cluster.account, region: cluster.region, cluster: cluster.name };
  try {
    const live = await control.call<AwsAuthState | null>('GET', 'aws-auth', undefined, ref);
    if (live === null) return;
    const parsed = parseRoles(live.data['mapRoles']);
    if (parsed.unreadable !== undefined) return;
    const items: Record<string, unknown>[] = parsed.roles.map((r) => ({ rolearn: r.rolearn, username: r.username, groups: [...r.groups] }));
    const spoke = `arn:aws:iam::${cluster.account}:role/${SPOKE_ROLE}`;
    const account = model.account(cluster.account);
    const desired = new Set(DESIRED_SETS.flatMap((s) => account.sso.get(s) ?? []).map(key));
    const foreign = items.filter((i) => {
      const arn = key(String(i['rolearn']));
      const groups = i['groups'] as string[];
      return !desired.has(arn) && arn !== key(spoke) && !groups.includes('system:nodes');
    });
    const sso = items.filter((i) => desired.has(key(String(i['rolearn']))));
    const roll = rng.next();
    let kind: string;
    let mapRoles: string;
    if (roll < 0.04) {
      // Unreadable mapRoles: the hub must refuse to write (guard rule 3) until someone repairs it.
      kind = 'hand-break-yaml';
      mapRoles = `${live.data['mapRoles'] ?? ''}- rolearn: arn:aws:iam::${cluster.account}:role/broken\n  groups: [system:masters\n`;
      m.tampered.set(cluster.id, { kind: 'broken', at: pass, saved: live.data['mapRoles'] ?? '' });
    } else if (roll < 0.08) {
      // More foreign entries than everything else: removing them all is a mass removal (guard rule 6).
      kind = 'hand-mass-add';
      const n = Math.max(6, items.length + 1);
      for (let i = 0; i < n; i++)
        items.push({ rolearn: `arn:aws:iam::${cluster.account}:role/hand-mass-${i}`, username: `hand-mass-${i}`, groups: ['viewers'] });
      mapRoles = stringifyYaml(items);
      m.tampered.set(cluster.id, { kind: 'mass', at: pass });
    } else if (roll < 0.3 && foreign.length === 0) {
      kind = 'hand-add-entry';
      items.push({ rolearn: `arn:aws:iam::${cluster.account}:role/ci-deployer`, username: 'hand-edited', groups: ['deployers'] });
      mapRoles = stringifyYaml(items);
    } else if (roll < 0.55 && sso.length > 0) {
      kind = 'hand-change-username';
      const item = pick(rng, sso);
      if (item !== undefined) item['username'] = 'hand:{{SessionName}}';
      mapRoles = stringifyYaml(items);
    } else if (roll < 0.8 && !parsed.roles.some((r) => key(r.rolearn) === key(spoke))) {
      kind = 'hand-add-spoke';
      items.push({ rolearn: spoke, username: 'eks-auth-hub', groups: ['system:masters'] });
      mapRoles = stringifyYaml(items);
    } else {
      // Same entries, other YAML: no semantic change.
      kind = 'hand-reformat';
      mapRoles = `${JSON.stringify(items)}\n`;
    }
    await control.call('PUT', 'aws-auth', { ...ref, data: { ...live.data, mapRoles } });
    inc(m.counts, kind);
  } catch (error) {
    m.failures.push(`pass ${pass} hand edit of ${cluster.id}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Undoes the soak's own tampering (two passes later, or all of it with pass -1). */
async function repair(model: Model, control: Control, m: Mutations, pass: number): Promise<void> {
  for (const [id, t] of [...m.tampered]) {
    if (pass >= 0 && pass - t.at < 2) continue;
    const cluster = model.clusters.find((c) => c.id === id);
    if (cluster === undefined) continue;
    const ref = { account: cluster.account, region: cluster.region, cluster: cluster.name };
    try {
      const live = await control.call<AwsAuthState | null>('GET', 'aws-auth', undefined, ref);
      if (live !== null) {
        let mapRoles: string;
        if (t.kind === 'broken') {
          mapRoles = t.saved ?? '';
        } else {
          const parsed = parseRoles(live.data['mapRoles']);
          mapRoles = stringifyYaml(
            parsed.roles
              .filter((r) => !MASS_ROLE.test(r.rolearn))
              .map((r) => ({ rolearn: r.rolearn, username: r.username, groups: [...r.groups] })),
          );
        }
        await control.call('PUT', 'aws-auth', { ...ref, data: { ...live.data, mapRoles } });
      }
      m.tampered.delete(id);
      inc(m.counts, t.kind === 'broken' ? 'hand-repair-yaml' : 'hand-remove-mass');
    } catch (error) {
      m.failures.push(`pass ${pass} repair of ${id}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

// -------------------------------------------------------------------------------------------------
// The spoke role under the hub: its sessions revoked ("Revoke active sessions") or the role created
// again under the same name (a stack replaced: another role id, the same trust), between passes and
// during them. A session refused that way must cost the hub one AssumeRole, not failed clusters: an
// account whose spoke role exists and trusts the hub (always true here) never has clusters failing on
// its session in two passes in a row. A separate random sequence, so the rest of a seed's scenario
// stays as it was.

type SpokeChange = 'revoke-sessions' | 'recreate-spoke';
const SPOKE_CHANGES: readonly SpokeChange[] = ['revoke-sessions', 'recreate-spoke'];
/** What a cluster fails with when the hub's session in its account was refused and not renewed. */
const SESSION_FAILURES = new Set(['sts.role-unavailable', 'aws.access-denied', 'aws.credentials']);

class SpokeChanges {
  /** account → passes in a row in which one of its clusters failed on the session. */
  private readonly streaks = new Map<string, number>();
  /** Cluster failures on the session, in all passes. */
  sessionFailures = 0;

  constructor(
    private readonly rng: Random,
    private readonly model: Model,
    private readonly control: Control,
    private readonly m: Mutations,
  ) {}

  private async change(kind: SpokeChange, pass: number, when: 'between' | 'during'): Promise<void> {
    const account = pick(this.rng, [...this.model.accounts.keys()]);
    if (account === undefined) return;
    try {
      await this.control.call('POST', kind === 'revoke-sessions' ? 'roles/revoke-sessions' : 'roles/recreate', {
        account,
        name: SPOKE_ROLE,
      });
      inc(this.m.counts, `${kind}-${when}`);
      log(`  spoke role of ${account}: ${kind} ${when === 'during' ? `during pass ${pass}` : `before pass ${pass}`}`);
    } catch (error) {
      this.m.failures.push(`pass ${pass} ${kind}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Between passes: now and then, one account's spoke role changes. */
  async between(pass: number): Promise<void> {
    if (this.rng.chance(0.25)) await this.change(pick(this.rng, SPOKE_CHANGES) ?? 'revoke-sessions', pass, 'between');
  }

  /** During a pass (about one in four): after `delayMs`, one account's spoke role changes. */
  during(pass: number, delayMs: number): Promise<void> {
    if (!this.rng.chance(0.25)) return Promise.resolve();
    const kind = pick(this.rng, SPOKE_CHANGES) ?? 'revoke-sessions';
    const delay = Math.round(delayMs * (0.1 + 0.7 * this.rng.next()));
    return sleep(delay).then(() => this.change(kind, pass, 'during'));
  }

  /** The invariant after a pass: no account fails on its session two passes in a row. */
  check(pass: string, runs: readonly HubRun[]): Violation[] {
    const failing = new Map<string, string>();
    for (const run of runs) {
      if (run.killed) continue;
      for (const c of run.report?.clusters ?? []) {
        if (c.outcome !== 'failed' || !SESSION_FAILURES.has(c.error?.code ?? '')) continue;
        this.sessionFailures += 1;
        if (!failing.has(c.account)) failing.set(c.account, `${c.clusterId}: ${c.error?.code ?? ''} ${c.error?.message ?? ''}`);
      }
    }
    const violations: Violation[] = [];
    for (const account of this.model.accounts.keys()) {
      const streak = failing.has(account) ? (this.streaks.get(account) ?? 0) + 1 : 0;
      this.streaks.set(account, streak);
      if (streak > 1) {
        violations.push({
          pass,
          cluster: account,
          kind: 'session-not-renewed',
          message: `its clusters failed on the hub's session in ${streak} passes in a row, the spoke role existing and trusting the hub: ${failing.get(account) ?? ''}`,
        });
      }
    }
    return violations;
  }
}

// -------------------------------------------------------------------------------------------------
// Faults.

function faultProfile(rng: Random, hang: boolean, clusters: number): Record<string, FaultSpec> {
  const intensity = 0.5 + rng.next(); // 0.5 … 1.5
  const r = (base: number): number => Math.min(0.9, Number((base * intensity).toFixed(4)));
  const latency = rng.int(4); // ms on every operation
  const all: FaultSpec = { latencyMs: latency, throttleRate: r(0.015), errorRate: r(0.04), resetRate: r(0.01) };
  const kube: FaultSpec = { latencyMs: latency, throttleRate: r(0.02), errorRate: r(0.02), resetRate: r(0.01) };
  // About two hung requests per hanging pass whatever the world's size (once most clusters are
  // unchanged, a pass makes ~1.2 GETs per cluster, and few updates).
  const hangGet = Number(Math.min(0.04, 2 / (1.5 * clusters)).toFixed(5));
  return {
    '*': all,
    // Often enough that the SDK's 3 attempts run out and a listing really fails: the guard must block.
    // Mostly 5xx rather than throttling, whose longer back-off would only make passes slower.
    'iam:ListRoles': { latencyMs: latency + 5, throttleRate: r(0.05), errorRate: r(0.25), resetRate: r(0.05) },
    'eks:ListNodegroups': { latencyMs: latency, throttleRate: r(0.03), errorRate: r(0.1), resetRate: r(0.03) },
    'eks:DescribeCluster': { latencyMs: latency + rng.int(20), throttleRate: r(0.03), errorRate: r(0.03), resetRate: r(0.01) },
    'k8s:get': { ...kube, ...(hang ? { hangRate: hangGet } : {}) },
    'k8s:update': { ...kube, ...(hang ? { hangRate: hangGet } : {}) },
    'k8s:create': kube,
  };
}

// -------------------------------------------------------------------------------------------------
// Hangs on AWS calls, pass deadlines and SIGTERM mid-pass (kept together, apart from the rest).
//
// In chosen passes (and in the passes with hanging API servers) STS, IAM and EKS calls hang too (the
// hub's request timeout must fire and the SDK try again); in one in twenty (one with --short) AssumeRole hangs so often that the pass meets
// its deadline (hub.passTimeout) and must end there; in one in ten (two with --short) the hub gets
// SIGTERM in the middle of a pass that hangs and must exit within 10 s with a report. Invariants:
// every pass ends within its deadline; the process exits within 10 s of SIGTERM.

/** What a pass may take before its deadline aborts it: well above a pass with a hung request (15 s), well below the watchdog. */
function passTimeoutMs(o: Options): number {
  return o.short ? 30_000 : 60_000;
}

/** How long after SIGTERM the hub must be gone (ECS's stop timeout is 30 s). */
const EXIT_AFTER_SIGTERM_MS = 10_000;
/** What a report's own duration may exceed the deadline by (timers firing late on a busy machine). */
const DEADLINE_SLACK_MS = 2_000;
/** What the process may take beyond the deadline: starting (loading the SDK, reading the file) and printing the report. */
const PROCESS_SLACK_MS = 20_000;

type AwsHang = 'hang' | 'deadline' | 'term';

/** Which fault passes get which kind of AWS hang: chosen up front (never the first pass), besides the k8s hang passes. */
function planAwsHangs(rng: Random, o: Options, k8sHangs: ReadonlySet<number>): Map<number, AwsHang> {
  const plan = new Map<number, AwsHang>();
  const free = Array.from({ length: Math.max(0, o.passes - 1) }, (_, i) => i + 2).filter((p) => !k8sHangs.has(p));
  const take = (kind: AwsHang, n: number): void => {
    for (let i = 0; i < n && free.length > 0; i++) plan.set(free.splice(rng.int(free.length), 1)[0] ?? 0, kind);
  };
  take('deadline', o.short ? 1 : Math.max(1, Math.round(o.passes / 20)));
  take('term', o.short ? 2 : Math.max(1, Math.round(o.passes / 10)));
  // With --short the pass with hanging API servers is the one AWS calls hang in too (each such pass costs up to the deadline).
  take('hang', o.short ? 0 : Math.max(1, Math.round(o.passes / 10)));
  // The k8s hang passes hang on AWS calls too.
  for (const p of k8sHangs) plan.set(p, plan.get(p) ?? 'hang');
  return plan;
}

/** The pass's fault profile with hang rates on the AWS operations: about one hung request per operation and pass, or (deadline) AssumeRole hanging half the time. */
function withAwsHangs(
  profile: Record<string, FaultSpec>,
  kind: AwsHang | undefined,
  accounts: number,
  clusters: number,
): Record<string, FaultSpec> {
  // PUT /_sim/faults replaces only the operations it names: every pass names sts:AssumeRole, so a hang set for one pass ends with it.
  if (kind === undefined) return { ...profile, 'sts:AssumeRole': profile['sts:AssumeRole'] ?? profile['*'] ?? {} };
  const perAccount = Number(Math.min(0.3, 1 / accounts).toFixed(5));
  const perCluster = Number(Math.min(0.1, 1 / clusters).toFixed(5));
  const base = profile['*'] ?? {};
  const hang = (operation: string, rate: number): [string, FaultSpec] => [operation, { ...(profile[operation] ?? base), hangRate: rate }];
  return {
    ...profile,
    ...Object.fromEntries([
      hang('sts:AssumeRole', kind === 'deadline' ? 0.5 : perAccount),
      hang('iam:ListRoles', perAccount),
      hang('eks:DescribeCluster', perCluster),
      hang('eks:ListNodegroups', perCluster),
      // A hanging API server too, so that a SIGTERM finds requests of both kinds in flight.
      hang('k8s:get', Math.max(profile['k8s:get']?.hangRate ?? 0, perCluster)),
    ]),
  };
}

/** Sent SIGTERM while still starting, before it could handle the signal: ended by it, as a stopped process should be (no report). */
function termedBeforeItsHandler(run: HubRun): boolean {
  return run.exitAfterTermMs !== undefined && run.signal === 'SIGTERM';
}

function checkDeadlines(ctx: Pick<PassContext, 'pass' | 'runs'>): Violation[] {
  const violations: Violation[] = [];
  const v = (kind: string, message: string): void => {
    violations.push({ pass: ctx.pass, cluster: '-', kind, message });
  };
  for (const run of ctx.runs) {
    if (run.exitAfterTermMs !== undefined && run.exitAfterTermMs > EXIT_AFTER_SIGTERM_MS) {
      v(
        'slow-exit-after-sigterm',
        `${run.label} exited ${(run.exitAfterTermMs / 1000).toFixed(1)} s after SIGTERM (at most ${EXIT_AFTER_SIGTERM_MS / 1000} s)`,
      );
    }
    if (run.killed || run.overran || run.report === undefined) continue;
    const deadline = run.report.durationMs;
    const limit = soakPassTimeoutMs;
    if (deadline > limit + DEADLINE_SLACK_MS)
      v('pass-past-deadline', `${run.label}'s pass took ${(deadline / 1000).toFixed(1)} s, past its deadline of ${limit / 1000} s`);
    if (run.durationMs > limit + PROCESS_SLACK_MS)
      v('process-past-deadline', `${run.label} ran ${(run.durationMs / 1000).toFixed(1)} s for a pass whose deadline is ${limit / 1000} s`);
  }
  return violations;
}

/** The deadline of every pass (the soak's hub file sets it from passTimeoutMs). */
let soakPassTimeoutMs = 30_000;

interface DeadlineFigures {
  cutShort: Record<string, number>;
  termed: number;
  exitAfterTermMs: number[];
  reportSeconds: number[];
}

function newDeadlineFigures(): DeadlineFigures {
  return { cutShort: {}, termed: 0, exitAfterTermMs: [], reportSeconds: [] };
}

function tallyDeadlines(d: DeadlineFigures, runs: readonly HubRun[]): void {
  for (const run of runs) {
    if (run.report?.cutShort !== undefined) inc(d.cutShort, run.report.cutShort);
    if (run.exitAfterTermMs !== undefined) {
      d.termed += 1;
      d.exitAfterTermMs.push(run.exitAfterTermMs);
    }
    if (run.report !== undefined) d.reportSeconds.push(run.report.durationMs / 1000);
  }
}

function deadlineFigures(d: DeadlineFigures): Record<string, unknown> {
  return {
    passTimeoutSeconds: soakPassTimeoutMs / 1000,
    cutShort: d.cutShort,
    sigterms: d.termed,
    exitAfterSigtermSecondsMax: Number((Math.max(0, ...d.exitAfterTermMs) / 1000).toFixed(2)),
    longestPassSeconds: Number(Math.max(0, ...d.reportSeconds).toFixed(2)),
  };
}

function deadlineSummary(d: DeadlineFigures): string {
  return `deadlines: pass timeout ${soakPassTimeoutMs / 1000}s, longest pass ${Math.max(0, ...d.reportSeconds).toFixed(1)}s, passes cut short ${JSON.stringify(d.cutShort)}; SIGTERM mid-pass ${d.termed}×, exited at most ${(Math.max(0, ...d.exitAfterTermMs) / 1000).toFixed(1)}s after it`;
}

/** Sends SIGTERM to `child` after `ms`; tells how long after it the process exited. */
function sigtermAfter(child: ChildProcess, ms: number): { exitedAfterMs(): number | undefined } {
  let sentAt: number | undefined;
  let exitedAt: number | undefined;
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) {
      sentAt = performance.now();
      child.kill('SIGTERM');
    }
  }, ms);
  child.once('exit', () => {
    clearTimeout(timer);
    exitedAt = performance.now();
  });
  return { exitedAfterMs: () => (sentAt === undefined || exitedAt === undefined ? undefined : exitedAt - sentAt) };
}

// -------------------------------------------------------------------------------------------------
// The soak.

interface Figures {
  passes: number;
  hubRuns: number;
  outcomes: Record<string, number>;
  failuresByCode: Record<string, number>;
  guardRefusals: Record<string, number>;
  conflictsRetried: number;
  lockouts: number;
  killed: number;
  killsMissed: number;
  concurrentPasses: number;
  hangPasses: number;
  midPassChanges: number;
  passDurationsMs: number[];
  /** Hub process durations (s) of hanging passes, and of plain ones (one hub, not killed, no hang). */
  hangPassSeconds: number[];
  plainPassSeconds: number[];
  /** The reconcile part of those plain passes (the report's durationMs): the rest is the CLI starting. */
  plainReconcileSeconds: number[];
}

function tally(f: Figures, run: HubRun): void {
  f.hubRuns += 1;
  if (run.killed) f.killed += 1;
  for (const c of run.report?.clusters ?? []) {
    inc(f.outcomes, c.outcome);
    if (c.outcome === 'failed') inc(f.failuresByCode, c.error?.code ?? 'unknown');
    if (c.outcome === 'blocked') for (const refusal of c.refusals) inc(f.guardRefusals, refusal.rule);
    f.conflictsRetried += Math.max(0, c.attempts - 1);
    if (c.lockout !== undefined) f.lockouts += 1;
  }
}

function summary(run: HubRun): string {
  if (run.killed) return `${run.label}: killed after ${(run.durationMs / 1000).toFixed(1)}s`;
  if (run.overran) return `${run.label}: OVERRAN`;
  const counts = run.report?.counts;
  if (counts === undefined) return `${run.label}: no report (exit ${String(run.code ?? run.signal)})`;
  return `${run.label}: ${Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([o, n]) => `${o} ${n}`)
    .join(', ')}`;
}

async function main(): Promise<number> {
  const o = options(process.argv.slice(2));
  soakPassTimeoutMs = passTimeoutMs(o);
  const began = performance.now();
  const rng = new Random(o.seed * 7919 + 17);
  const file = generateWorld({
    accounts: o.accounts,
    clustersPerAccount: o.clustersPerAccount,
    ssoRolesPerAccount: o.ssoRoles,
    seed: o.seed,
  });
  if (generatedPermissionSets(o.ssoRoles).slice(0, 2).join() !== DESIRED_SETS.join())
    throw new Error('the generated permission sets changed');
  const model = new Model(file);
  const work = mkdtempSync(join(tmpdir(), 'eks-auth-hub-soak-'));
  const hubFile = join(work, 'hub.yaml');
  writeFileSync(hubFile, generatedHubYaml(file, { passTimeoutMs: passTimeoutMs(o) }));
  const clusterCount = model.clusters.length;
  log(
    `soak: ${o.accounts} accounts × ${o.clustersPerAccount} clusters = ${clusterCount} clusters, ${o.passes} fault passes, seed ${o.seed}, work folder ${work}`,
  );

  const sim = await startSim(o);
  /** Hub processes still running. */
  const children = new Set<ChildProcess>();
  const stopHubs = (): void => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('SIGINT', () => {
    stopHubs();
    sim.child.kill('SIGKILL');
    process.exit(130);
  });
  const control = new Control(sim.awsEndpoint);
  const listed = await control.call<{ account: string; region: string; cluster: string }[]>('GET', 'clusters');
  const ids = new Set(listed.map((c) => `${c.account}/${c.region}/${c.cluster}`));
  if (ids.size !== clusterCount || model.clusters.some((c) => !ids.has(c.id))) {
    sim.child.kill('SIGKILL');
    throw new Error(`the simulator's clusters (${ids.size}) are not the soak's model (${clusterCount})`);
  }
  const f: Figures = {
    passes: 0,
    hubRuns: 0,
    outcomes: {},
    failuresByCode: {},
    guardRefusals: {},
    conflictsRetried: 0,
    lockouts: 0,
    killed: 0,
    killsMissed: 0,
    concurrentPasses: 0,
    hangPasses: 0,
    midPassChanges: 0,
    passDurationsMs: [],
    hangPassSeconds: [],
    plainPassSeconds: [],
    plainReconcileSeconds: [],
  };
  const violations: Violation[] = [];
  const deadlines = newDeadlineFigures();
  const listing: ListingChecks = { blockedByListing: 0, checked: 0, skipped: 0 };
  const m: Mutations = { counts: {}, failures: [], nextName: 0, tampered: new Map() };
  const modelMismatches: string[] = [];
  const spoke = new SpokeChanges(new Random(o.seed * 104_729 + 3), model, control, m);
  /** The session invariant after a pass: its violations are counted with the others. */
  const checkSessions = (name: string, runs: readonly HubRun[]): void => {
    const found = spoke.check(name, runs);
    violations.push(...found);
    for (const v of found) log(`  VIOLATION ${v.kind} ${v.cluster}: ${v.message}`);
  };
  let typicalMs = 1_000 + 20 * clusterCount;
  const recent: number[] = [];
  const watchdogMs = Math.max(180_000, 12 * typicalMs);

  const run = (command: 'apply' | 'plan', label: string, killAfterMs?: number, termAfterMs?: number): HubStart => {
    const started = startHub(command, label, hubFile, sim.env, killAfterMs, watchdogMs, termAfterMs);
    children.add(started.child);
    void started.done.then(() => children.delete(started.child));
    return started;
  };

  /** One pass: the hubs run, the world may change meanwhile, then every invariant is checked. */
  const pass = async (
    name: string,
    plan: { concurrent: boolean; kill: boolean; midPass: WorldChange[]; termAfter?: number },
  ): Promise<{ runs: HubRun[]; after: Map<string, Live | null>; found: Violation[] }> => {
    const before = await readLive(control, model.clusters);
    const start = model.snapshot();
    const started = performance.now();
    const killAfter = plan.kill ? Math.round(typicalMs * (0.15 + 0.7 * rng.next())) : undefined;
    const a = run('apply', 'A', killAfter, plan.termAfter);
    let b: HubStart | undefined;
    if (plan.concurrent) {
      await sleep(rng.int(Math.min(400, typicalMs / 3)));
      b = run('apply', 'B');
    }
    const changes = (async () => {
      if (plan.midPass.length === 0) return;
      await sleep(Math.round(typicalMs * (0.1 + 0.6 * rng.next())));
      for (const change of plan.midPass) await worldChange(change, rng, model, control, m, f.passes);
    })();
    const runs = [await a.done, ...(b === undefined ? [] : [await b.done])];
    await changes;
    const end = model.snapshot();
    const after = await readLive(control, model.clusters);
    const found = checkPass(model, { pass: name, before, after, start, end, runs }, listing);
    if (plan.kill && !runs[0]?.killed) f.killsMissed += 1;
    for (const r of runs) tally(f, r);
    const A = runs[0];
    if (A !== undefined && !A.killed && !A.overran && A.report !== undefined) {
      recent.push(A.durationMs);
      if (recent.length > 9) recent.shift();
      typicalMs = Math.max(300, percentile(recent, 50));
    }
    // Cross-check the soak's model against what the hub resolved (when nothing changed during the pass).
    if (plan.midPass.length === 0) {
      for (const r of runs) {
        for (const c of r.report?.clusters ?? []) {
          for (const res of c.resolutions) {
            const want = start.sso.get(c.account)?.get(res.permissionSet);
            if (want === undefined) continue;
            const got = res.status === 'resolved' ? res.roleArn : null;
            if ((got === null ? null : key(got)) !== (want === null ? null : key(want))) {
              modelMismatches.push(
                `${name} ${c.clusterId} ${res.permissionSet}: hub resolved ${String(got)}, soak model says ${String(want)}`,
              );
            }
          }
        }
      }
    }
    violations.push(...found);
    if (found.length > 0) {
      const dump = join(work, `pass-${name}`);
      writeFileSync(
        `${dump}.json`,
        JSON.stringify(
          {
            violations: found,
            runs: runs.map((r) => ({
              label: r.label,
              code: r.code,
              signal: r.signal,
              killed: r.killed,
              stderr: r.stderr,
              report: r.report,
            })),
            before: Object.fromEntries(found.map((v) => [v.cluster, before.get(v.cluster) ?? null])),
            after: Object.fromEntries(found.map((v) => [v.cluster, after.get(v.cluster) ?? null])),
          },
          null,
          2,
        ),
      );
      for (const v of found.slice(0, 20)) log(`  VIOLATION ${v.kind} ${v.cluster}: ${v.message}`);
      if (found.length > 20) log(`  … ${found.length - 20} more (see ${dump}.json)`);
    }
    f.passDurationsMs.push(performance.now() - started);
    return { runs, after, found };
  };

  let exitCode = 0;
  let passesToConverge: number | null = null;
  let planExit: number | null = null;
  let notConverged: { cluster: string; problems: string[] }[] = [];
  try {
    // ---- The fault phase.
    await control.call('DELETE', 'faults', undefined, { seed: String(o.seed) });
    const scale = (share: number): number => Math.max(1, Math.round(share));
    // Which passes hang: chosen up front so the run's length is predictable (never the first one).
    const hanging = new Set<number>();
    while (hanging.size < Math.min(o.hangPasses, Math.max(0, o.passes - 1))) hanging.add(2 + rng.int(o.passes - 1));
    const hangPlan = planAwsHangs(rng, o, hanging);
    for (let p = 1; p <= o.passes; p++) {
      f.passes += 1;
      // Between passes: the world changes, and people edit aws-auth by hand.
      for (let i = 0; i < scale(o.accounts * 0.06); i++) await worldChange('reassign', rng, model, control, m, p);
      if (rng.chance(0.35)) await worldChange('delete-role', rng, model, control, m, p);
      await worldChange('restore', rng, model, control, m, p);
      for (let i = 0; i < scale(clusterCount * 0.01); i++) await worldChange('nodegroup-add', rng, model, control, m, p);
      for (let i = 0; i < scale(clusterCount * 0.006); i++) await worldChange('nodegroup-remove', rng, model, control, m, p);
      await repair(model, control, m, p);
      for (let i = 0; i < scale(clusterCount * 0.03); i++) await handEdit(rng, model, control, m, p);
      await spoke.between(p);

      const hang = hanging.has(p);
      const concurrent = rng.chance(0.2);
      // A hanging pass is never cut short: the point is to see the timeouts fire and measure them.
      const kill = !hang && hangPlan.get(p) === undefined && rng.chance(0.15);
      const midPass: WorldChange[] = rng.chance(0.3)
        ? Array.from(
            { length: 1 + rng.int(3) },
            () => pick(rng, ['reassign', 'nodegroup-add', 'nodegroup-remove', 'delete-role'] as const) ?? 'reassign',
          )
        : [];
      if (hang) f.hangPasses += 1;
      if (concurrent) f.concurrentPasses += 1;
      if (midPass.length > 0) f.midPassChanges += 1;
      const hangKind = hangPlan.get(p);
      await control.call('PUT', 'faults', withAwsHangs(faultProfile(rng, hang, clusterCount), hangKind, o.accounts, clusterCount));
      // After the hub has started its pass: start-up is about half of a typical pass's process time,
      // and a pass that meets a hung call lasts at least its request timeout (15 s).
      const termAfter = hangKind === 'term' ? Math.round(typicalMs * (0.6 + 0.4 * rng.next())) : undefined;
      const spokeDuring = spoke.during(p, typicalMs);
      const { runs, found } = await pass(String(p), { concurrent, kill, midPass, ...(termAfter === undefined ? {} : { termAfter }) });
      await spokeDuring;
      checkSessions(String(p), runs);
      tallyDeadlines(deadlines, runs);
      const seconds = Math.max(0, ...runs.map((r) => r.durationMs)) / 1000;
      if (hang) f.hangPassSeconds.push(seconds);
      else if (!kill && !concurrent && midPass.length === 0) {
        f.plainPassSeconds.push(seconds);
        f.plainReconcileSeconds.push((runs[0]?.report?.durationMs ?? 0) / 1000);
      }
      const tags = [
        concurrent ? 'concurrent' : '',
        kill ? 'kill' : '',
        hang ? 'hang' : '',
        hangKind === undefined ? '' : `aws-${hangKind}`,
        midPass.length > 0 ? `mid:${midPass.join('+')}` : '',
      ].filter((t) => t !== '');
      log(
        `pass ${p}/${o.passes}${tags.length > 0 ? ` [${tags.join(',')}]` : ''} ${((f.passDurationsMs.at(-1) ?? 0) / 1000).toFixed(1)}s  ${runs.map(summary).join(' | ')}  violations ${found.length}`,
      );
    }

    // ---- The faults stop; deleted permission sets come back; passes until converged.
    await control.call('DELETE', 'faults');
    await worldChange('restore', rng, model, control, m, -1);
    await repair(model, control, m, -1);
    for (let k = 1; k <= 4; k++) {
      f.passes += 1;
      const { runs, after, found } = await pass(`converge-${k}`, { concurrent: false, kill: false, midPass: [] });
      checkSessions(`converge-${k}`, runs);
      notConverged = convergence(model, after);
      log(`converge pass ${k}: ${runs.map(summary).join(' | ')}  not converged ${notConverged.length}  violations ${found.length}`);
      if (notConverged.length === 0) {
        passesToConverge = k;
        break;
      }
    }
    const planRun = await run('plan', 'plan').done;
    planExit = planRun.code;
    const planned = planRun.report?.counts;
    log(
      `plan after convergence: exit ${String(planRun.code)} ${planned === undefined ? planRun.stderr.slice(-300) : JSON.stringify(planned)}`,
    );
  } catch (error) {
    sim.child.kill('SIGKILL');
    throw error;
  } finally {
    stopHubs();
  }

  const injected = await control.call<Record<string, number>>('GET', 'faults/injected').catch(() => ({}) as Record<string, number>);
  const counters = await control
    .call<Record<string, { calls: number; outcomes: Record<string, number> }>>('GET', 'counters')
    .catch(() => ({}) as Record<string, { calls: number; outcomes: Record<string, number> }>);
  sim.child.kill('SIGTERM');
  await new Promise<void>((resolve) => {
    if (sim.child.exitCode !== null || sim.child.signalCode !== null) resolve();
    else sim.child.once('exit', () => resolve());
  });

  const byKind: Record<string, number> = {};
  for (const v of violations) inc(byKind, v.kind);
  const count = (op: string): { calls: number; ok: number } => {
    const c = counters[op];
    return { calls: c?.calls ?? 0, ok: (c?.outcomes['200'] ?? 0) + (c?.outcomes['201'] ?? 0) };
  };
  const converged = passesToConverge === 1 && planExit === 0;
  const simInternalErrors = (sim.stderr().match(/internal error/g) ?? []).length;
  const figures = {
    ok: violations.length === 0 && converged && modelMismatches.length === 0,
    clusters: clusterCount,
    accounts: o.accounts,
    seed: o.seed,
    faultPasses: o.passes,
    passes: f.passes,
    hubRuns: f.hubRuns,
    concurrentPasses: f.concurrentPasses,
    killed: f.killed,
    killsMissed: f.killsMissed,
    hangPasses: f.hangPasses,
    midPassChanges: f.midPassChanges,
    faultsInjected: injected,
    writes: { 'k8s:create': count('k8s:create'), 'k8s:update': count('k8s:update'), awsAuthApplied: f.outcomes['applied'] ?? 0 },
    conflictsRetried: f.conflictsRetried,
    guardRefusals: f.guardRefusals,
    lockouts: f.lockouts,
    outcomes: f.outcomes,
    failuresByCode: f.failuresByCode,
    listingChecks: listing,
    worldChanges: m.counts,
    sessionFailures: spoke.sessionFailures,
    // Calls the simulator refused because their session was revoked or its role re-created: each one
    // the hub had to renew its session for.
    sessionRefusals: Object.values(counters).reduce(
      (n, c) => n + (c.outcomes['AccessDenied'] ?? 0) + (c.outcomes['AccessDeniedException'] ?? 0),
      0,
    ),
    worldChangeFailures: m.failures.length,
    invariantViolations: violations.length,
    violationsByKind: byKind,
    modelMismatches: modelMismatches.length,
    simInternalErrors,
    passesToConverge,
    planExitAfterConvergence: planExit,
    passSeconds: {
      p50: Number((percentile(f.passDurationsMs, 50) / 1000).toFixed(2)),
      p95: Number((percentile(f.passDurationsMs, 95) / 1000).toFixed(2)),
      max: Number((Math.max(0, ...f.passDurationsMs) / 1000).toFixed(2)),
    },
    // What the hub's fixed 15 s request timeout costs a pass that meets a hanging API server.
    deadlines: deadlineFigures(deadlines),
    hangCost: {
      hungRequests: injected['hang'] ?? 0,
      hangPassSecondsMedian: Number(percentile(f.hangPassSeconds, 50).toFixed(2)),
      hangPassSecondsMax: Number(Math.max(0, ...f.hangPassSeconds).toFixed(2)),
      plainPassSecondsMedian: Number(percentile(f.plainPassSeconds, 50).toFixed(2)),
      plainReconcileSecondsMedian: Number(percentile(f.plainReconcileSeconds, 50).toFixed(2)),
    },
    soakCpuSeconds: Number(((process.cpuUsage().user + process.cpuUsage().system) / 1e6).toFixed(1)),
    durationSeconds: Number(((performance.now() - began) / 1000).toFixed(1)),
  };

  log('');
  log('== soak figures');
  log(
    `passes: ${f.passes} (${o.passes} with faults; ${f.concurrentPasses} with a second hub, ${f.killed} hubs killed mid-pass, ${f.hangPasses} with hanging API servers, ${f.midPassChanges} with changes during the pass)`,
  );
  log(`faults injected: ${JSON.stringify(injected)}`);
  log(
    `writes: k8s:create ${figures.writes['k8s:create'].ok}/${figures.writes['k8s:create'].calls} ok/calls, k8s:update ${figures.writes['k8s:update'].ok}/${figures.writes['k8s:update'].calls} (aws-auth and history); aws-auth applied ${figures.writes.awsAuthApplied}`,
  );
  log(`conflicts retried: ${f.conflictsRetried}`);
  log(`guard refusals by rule: ${JSON.stringify(f.guardRefusals)}`);
  log(`lockouts: ${f.lockouts}`);
  log(`outcomes: ${JSON.stringify(f.outcomes)}; failures by code: ${JSON.stringify(f.failuresByCode)}`);
  log(
    `blocked by a failed listing: ${listing.blockedByListing} (resourceVersion checked ${listing.checked}, skipped ${listing.skipped} because another hub wrote or was killed)`,
  );
  log(
    `world changes: ${JSON.stringify(m.counts)}${m.failures.length > 0 ? `; ${m.failures.length} failed: ${m.failures.slice(0, 3).join(' | ')}` : ''}`,
  );
  log(
    `spoke sessions refused (revoked or re-created roles): ${figures.sessionRefusals} calls; clusters failed on the hub's session: ${spoke.sessionFailures}`,
  );
  log(`invariant violations: ${violations.length}${violations.length > 0 ? ` ${JSON.stringify(byKind)} (details in ${work})` : ''}`);
  if (modelMismatches.length > 0) log(`soak model mismatches: ${modelMismatches.length}: ${modelMismatches.slice(0, 5).join(' | ')}`);
  if (simInternalErrors > 0) log(`simulator internal errors: ${simInternalErrors}`);
  log(
    `passes to converge: ${passesToConverge ?? `not converged after 4 (${notConverged.length} clusters differ)`}; plan afterwards exit ${String(planExit)}`,
  );
  for (const c of notConverged.slice(0, 10)) log(`  ${c.cluster}: ${c.problems.join('; ')}`);
  log(
    `hanging API servers: ${figures.hangCost.hungRequests} requests hung in ${f.hangPasses} passes; hub process ${figures.hangCost.hangPassSecondsMedian}s median (max ${figures.hangCost.hangPassSecondsMax}s) against ${figures.hangCost.plainPassSecondsMedian}s for a plain pass (of which reconcile ${figures.hangCost.plainReconcileSecondsMedian}s, the rest is the CLI starting)`,
  );
  log(deadlineSummary(deadlines));
  log(
    `pass duration: p50 ${figures.passSeconds.p50}s, p95 ${figures.passSeconds.p95}s, max ${figures.passSeconds.max}s; total ${figures.durationSeconds}s`,
  );
  log(figures.ok ? 'soak: OK' : 'soak: FAILED');
  if (figures.ok && !o.keep) rmSync(work, { recursive: true, force: true });
  if (!figures.ok) exitCode = 1;
  log(JSON.stringify(figures));
  return exitCode;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`soak: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 2;
  },
);
