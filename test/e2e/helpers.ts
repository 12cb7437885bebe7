/**
 * Shared helpers for the end-to-end suite: a simulator per file with the SDK pointed at it through
 * the standard environment variables, real passes through the real adapters, and checks made on the
 * simulator's side of the wire (the live ConfigMaps, an independent client authenticating).
 */
import { execFile } from 'node:child_process';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { type AwsPorts, createAwsPorts, mintClusterToken } from '@eks-auth-hub/aws';
import {
  type ClusterDirectory,
  type ClusterEndpoint,
  type ClusterResult,
  type ClusterSpec,
  type DesiredState,
  type PassReport,
  type Ports,
  reconcile,
} from '@eks-auth-hub/core';
import type { SimClusterRef, Simulator } from '@eks-auth-hub/sim';
import {
  demoHub,
  demoWorld,
  expectedNodeEntry,
  hubBin,
  loadState as loadFile,
  repoRoot,
  withoutPath,
  writesSeen,
} from '@eks-auth-hub/testing';
import { type SimHandle, useSimulator } from '@eks-auth-hub/testing/vitest';
import * as K8s from '@kubernetes/client-node';
import { expect } from 'vitest';
import { parse as parseYaml } from 'yaml';

export {
  demoHub,
  demoHubFile,
  demoWorld,
  generatedHubYaml,
  hubBin as bin,
  refOf,
  repoRoot as repo,
  simCount as calls,
  withoutPath,
  writesSeen,
} from '@eks-auth-hub/testing';
export { useSimulator };

export function loadState(text: string, file = 'e2e-hub.yaml'): DesiredState {
  return loadFile(text, file);
}

export interface DemoWorld {
  readonly h: SimHandle;
  readonly state: DesiredState;
  /** The desired state's cluster names, in the file's order. */
  readonly names: string[];
  /** name → `value` for every cluster of the desired state. */
  everyone(value: string): Record<string, string>;
  /** Kubernetes writes the simulator answered so far. */
  writes(): number;
}

/** The demo world in a simulator for the test file (see useSimulator), and the demo desired state. */
export function useDemoWorld(): DemoWorld {
  const h = useSimulator(demoWorld);
  const state = demoHub();
  const names = state.clusters.map((c) => c.name);
  return {
    h,
    state,
    names,
    everyone: (value) => Object.fromEntries(names.map((n) => [n, value])),
    writes: () => writesSeen(h.sim),
  };
}

/** Ports over the network with no retries to hide behind and short timeouts. */
export function e2ePorts(state: DesiredState, maxAttempts = 1): AwsPorts {
  return createAwsPorts({ hub: state.hub, maxAttempts, requestTimeoutMs: 5_000, connectionTimeoutMs: 3_000 });
}

let passNumber = 0;

export interface PassOptions {
  readonly dryRun?: boolean;
  readonly only?: readonly string[];
  readonly allowRepair?: boolean;
  readonly ports?: AwsPorts;
}

/** One real pass: fresh ports (as one CLI run) unless given. */
export async function pass(state: DesiredState, options: PassOptions = {}): Promise<PassReport> {
  passNumber += 1;
  return reconcile(state, options.ports ?? e2ePorts(state), {
    passId: `e2e-${passNumber}`,
    dryRun: options.dryRun ?? false,
    ...(options.only === undefined ? {} : { only: options.only }),
    ...(options.allowRepair === undefined ? {} : { allowRepair: options.allowRepair }),
  });
}

export function resultOf(report: PassReport, name: string): ClusterResult {
  const found = report.clusters.find((c) => c.name === name);
  if (found === undefined) throw new Error(`no result for cluster ${name} in the report`);
  return found;
}

/** name → outcome, for whole-report assertions with readable diffs. */
export function outcomes(report: PassReport): Record<string, string> {
  return Object.fromEntries(report.clusters.map((c) => [c.name, c.outcome]));
}

/** A short account of failures and refusals, for assertion messages. */
export function explain(report: PassReport): string {
  return report.clusters
    .filter((c) => c.outcome === 'failed' || c.outcome === 'blocked')
    .map(
      (c) =>
        `${c.name}: ${c.outcome} ${c.error === undefined ? '' : `${c.error.code} ${c.error.message}`} ${c.refusals.map((r) => `${r.rule}: ${r.message}`).join('; ')}`,
    )
    .join('\n');
}

// -------------------------------------------------------------------------------------------------
// The live state, as the simulator holds it.

export interface MappedRole {
  readonly rolearn: string;
  readonly username: string;
  readonly groups: readonly string[];
}

function yamlList(text: string | undefined): Record<string, unknown>[] {
  if (text === undefined || text.trim() === '') return [];
  const value: unknown = parseYaml(text);
  if (!Array.isArray(value)) throw new Error(`not a YAML list: ${text}`);
  return value as Record<string, unknown>[];
}

/** The live mapRoles of a cluster, parsed (throws when the cluster has no aws-auth or it is not a YAML list). */
export function liveMapRoles(sim: Simulator, ref: SimClusterRef): MappedRole[] {
  const live = sim.control.readAwsAuth(ref);
  if (live === null) throw new Error(`${ref.cluster} has no aws-auth`);
  return yamlList(live.data['mapRoles']).map((e) => ({
    rolearn: String(e['rolearn']),
    username: String(e['username']),
    groups: Array.isArray(e['groups']) ? (e['groups'] as unknown[]).map(String) : [],
  }));
}

export function liveMapUsers(sim: Simulator, ref: SimClusterRef): { userarn: string; username: string; groups: string[] }[] {
  const live = sim.control.readAwsAuth(ref);
  if (live === null) throw new Error(`${ref.cluster} has no aws-auth`);
  return yamlList(live.data['mapUsers']).map((e) => ({
    userarn: String(e['userarn']),
    username: String(e['username']),
    groups: Array.isArray(e['groups']) ? (e['groups'] as unknown[]).map(String) : [],
  }));
}

export function mappingOf(roles: readonly MappedRole[], arn: string): MappedRole | undefined {
  return roles.find((r) => r.rolearn.toLowerCase() === arn.toLowerCase());
}

/** The current Identity Center role ARN of a permission set in an account, without path (as aws-auth must hold it). */
export function ssoRoleArn(sim: Simulator, account: string, permissionSet: string): string {
  const roles = sim.world.permissionSetRoles(account, permissionSet);
  if (roles.length !== 1 || roles[0] === undefined) throw new Error(`${permissionSet} has ${roles.length} roles in ${account}`);
  return `arn:aws:iam::${account}:role/${roles[0].name}`;
}

/**
 * What a converged aws-auth must map for a cluster, computed from the desired state and the
 * simulator's world (not from the hub's code): every file mapping with its permission set resolved to
 * today's role, and every node role of the cluster's node groups, Fargate profiles and `nodeRoles`.
 */
export function expectedRoles(sim: Simulator, spec: ClusterSpec): MappedRole[] {
  const out: MappedRole[] = [];
  for (const m of spec.mapRoles) {
    if (m.kind === 'rolearn') out.push({ rolearn: m.rolearn, username: m.username, groups: m.groups });
    else out.push({ rolearn: ssoRoleArn(sim, spec.account, m.permissionSet), username: m.username, groups: m.groups });
  }
  const cluster = sim.world.cluster(spec.account, spec.region, spec.name);
  const nodes = new Map<string, { rolearn: string; ec2: boolean; fargate: boolean; windows: boolean }>();
  const node = (arn: string) => {
    const rolearn = withoutPath(arn);
    let n = nodes.get(rolearn.toLowerCase());
    if (n === undefined) {
      n = { rolearn, ec2: false, fargate: false, windows: false };
      nodes.set(rolearn.toLowerCase(), n);
    }
    return n;
  };
  for (const ng of cluster.nodegroups.values()) {
    const n = node(ng.nodeRole);
    n.ec2 = true;
    if (ng.amiType.startsWith('WINDOWS_')) n.windows = true;
  }
  for (const fp of cluster.fargateProfiles.values()) node(fp.podExecutionRoleArn).fargate = true;
  for (const arn of spec.nodeRoles) node(arn).ec2 = true;
  for (const n of nodes.values()) {
    if (out.some((e) => e.rolearn.toLowerCase() === n.rolearn.toLowerCase())) continue; // the file's entry wins
    out.push(expectedNodeEntry(n));
  }
  return out;
}

const sortedGroups = (groups: readonly string[]): string[] => [...new Set(groups)].sort();

export interface ConvergeOptions {
  /** cluster name → role ARNs whose mapping is not checked (checked by a dedicated test instead). */
  readonly ignore?: Readonly<Record<string, readonly string[]>>;
}

/**
 * In the demo world a team hand-wrote `ci-deployer` (username ci, system:masters) on payments-staging,
 * a `merge` cluster, while the file's defaults map the same role differently. Which mapping must win
 * is checked by its own test in demo-passes.test.ts; the general convergence checks leave it out.
 */
export const DEMO_DISPUTED: ConvergeOptions = { ignore: { 'payments-staging': ['arn:aws:iam::111122223333:role/ci-deployer'] } };

/**
 * Asserts that every named cluster's live aws-auth maps exactly what the desired state asks for
 * (each ARN once). Under `full` ownership nothing else may be mapped except node entries and the
 * hub's own role.
 */
export function expectConverged(sim: Simulator, state: DesiredState, names?: readonly string[], options: ConvergeOptions = {}): void {
  for (const spec of state.clusters) {
    if (names !== undefined && !names.includes(spec.name)) continue;
    const ref = { account: spec.account, region: spec.region, cluster: spec.name };
    const live = liveMapRoles(sim, ref);
    const arns = live.map((e) => e.rolearn.toLowerCase());
    expect(new Set(arns).size, `${spec.name}: an ARN is mapped twice`).toBe(arns.length);
    const expected = expectedRoles(sim, spec);
    const ignored = (options.ignore?.[spec.name] ?? []).map((a) => a.toLowerCase());
    for (const want of expected) {
      if (ignored.includes(want.rolearn.toLowerCase())) continue;
      const got = mappingOf(live, want.rolearn);
      expect(got, `${spec.name}: ${want.rolearn} is not mapped`).toBeDefined();
      expect({ username: got?.username, groups: sortedGroups(got?.groups ?? []) }, `${spec.name}: ${want.rolearn}`).toEqual({
        username: want.username,
        groups: sortedGroups(want.groups),
      });
    }
    if (spec.ownership === 'full') {
      const hubRole = `arn:aws:iam::${spec.account}:role/${state.hub.roleName}`.toLowerCase();
      const extra = live.filter(
        (e) => mappingOf(expected, e.rolearn) === undefined && e.rolearn.toLowerCase() !== hubRole && !e.groups.includes('system:nodes'),
      );
      expect(extra, `${spec.name}: entries the file does not ask for`).toEqual([]);
    }
  }
}

export interface LiveSnapshot {
  readonly resourceVersion: string | null;
  readonly data: Record<string, string> | null;
  readonly annotations: Record<string, string> | null;
}

/** resourceVersion, data and annotations of every cluster's aws-auth in the world. */
export function snapshot(sim: Simulator): Record<string, LiveSnapshot> {
  const out: Record<string, LiveSnapshot> = {};
  for (const ref of sim.control.clusters()) {
    const live = sim.control.readAwsAuth(ref);
    out[`${ref.account}/${ref.region}/${ref.cluster}`] = {
      resourceVersion: live?.resourceVersion ?? null,
      data: live?.data ?? null,
      annotations: live?.annotations ?? null,
    };
  }
  return out;
}

// -------------------------------------------------------------------------------------------------
// Authenticating as the hub, independently of the hub's adapters (except the token minting).

export interface SessionCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

/** The hub's session in `account`: AssumeRole of the spoke role with the hub's own key. */
export async function assumeSpoke(
  sim: Simulator,
  account: string,
  roleName = 'eks-auth-hub-spoke',
  externalId = 'example-external-id',
): Promise<SessionCredentials> {
  const client = new STSClient({
    region: 'eu-west-1',
    endpoint: sim.awsEndpoint,
    credentials: { accessKeyId: sim.world.hub.accessKeyId, secretAccessKey: sim.world.hub.secretAccessKey },
    maxAttempts: 1,
  });
  const out = await client.send(
    new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/${roleName}`, RoleSessionName: 'e2e-check', ExternalId: externalId }),
  );
  const c = out.Credentials;
  if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined || c.SessionToken === undefined)
    throw new Error('AssumeRole returned no credentials');
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
}

/** The cluster's API server URL, as DescribeCluster gives it. */
export function clusterEndpoint(sim: Simulator, ref: SimClusterRef): string {
  return `${sim.kubeEndpoint}/k8s/${sim.world.cluster(ref.account, ref.region, ref.cluster).id}`;
}

/** client-node's CoreV1Api for a cluster with a static bearer token and the simulator's CA. */
export async function kubeApi(sim: Simulator, ref: SimClusterRef, token: string): Promise<K8s.CoreV1Api> {
  const k = K8s;
  const kc = new k.KubeConfig();
  kc.loadFromOptions({
    clusters: [
      { name: ref.cluster, server: clusterEndpoint(sim, ref), caData: Buffer.from(sim.caPem).toString('base64'), skipTLSVerify: false },
    ],
    users: [{ name: 'e2e', token }],
    contexts: [{ name: 'e2e', cluster: ref.cluster, user: 'e2e' }],
    currentContext: 'e2e',
  });
  return kc.makeApiClient(k.CoreV1Api);
}

/**
 * Whether the hub can still authenticate to each cluster: a fresh spoke session per account, a freshly
 * minted token, a GET of kube-system/aws-auth through client-node. Returns name → 'ok' or the HTTP status.
 */
export async function hubAccess(sim: Simulator, refs: readonly SimClusterRef[]): Promise<Record<string, string>> {
  const sessions = new Map<string, Promise<SessionCredentials>>();
  const entries = await Promise.all(
    refs.map(async (ref): Promise<[string, string]> => {
      let session = sessions.get(ref.account);
      if (session === undefined) {
        session = assumeSpoke(sim, ref.account);
        sessions.set(ref.account, session);
      }
      const minted = await mintClusterToken(await session, ref.cluster, ref.region, new Date());
      const api = await kubeApi(sim, ref, minted.token);
      try {
        await api.readNamespacedConfigMap({ name: 'aws-auth', namespace: 'kube-system' });
        return [ref.cluster, 'ok'];
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        return [ref.cluster, `HTTP ${String(code)}`];
      }
    }),
  );
  return Object.fromEntries(entries);
}

// -------------------------------------------------------------------------------------------------
// The built CLI as a child process.

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(args: readonly string[], env: Record<string, string>): Promise<CliRun> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...env };
  return new Promise((resolve) => {
    execFile(process.execPath, [hubBin, ...args], { cwd: repoRoot, env: childEnv, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

// -------------------------------------------------------------------------------------------------
// Generated worlds.

/** clusterId (`account/region/name`) → outcome: names repeat across accounts in generated worlds. */
export function outcomesById(report: PassReport): Record<string, string> {
  return Object.fromEntries(report.clusters.map((c) => [c.clusterId, c.outcome]));
}

/** Every cluster of a desired state: id → value. */
export function allIds(state: DesiredState, value: (spec: ClusterSpec) => string): Record<string, string> {
  return Object.fromEntries(state.clusters.map((c) => [c.id, value(c)]));
}

/** The real ports, except that cluster `name`'s endpoint (its API server and CA) is changed by `change`. */
export function redirect(ports: AwsPorts, name: string, change: (endpoint: ClusterEndpoint) => ClusterEndpoint): Ports {
  const real = ports.clusters;
  const clusters: ClusterDirectory = {
    describe: async (ref) => {
      const endpoint = await real.describe(ref);
      return ref.name === name ? change(endpoint) : endpoint;
    },
    nodeRoles: (ref) => real.nodeRoles(ref),
    forget: (ref) => real.forget(ref),
  };
  return { ...ports, clusters };
}
