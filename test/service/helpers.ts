/**
 * Helpers for the service-mode tests: a simulator per test file with the AWS SDK pointed at it
 * through its standard environment variables (restored afterwards), an in-memory pino logger, a
 * small parser of the Prometheus text exposition and HTTP helpers; paths and child processes come
 * from ./child.ts (re-exported).
 */
import { readFileSync } from 'node:fs';
import { type ClusterEntry, type DesiredState, loadDesiredState, type PassReport } from '@eks-auth-hub/core';
import { loadWorldFile, type SimClusterRef, type Simulator, startSimulator, type WorldFile } from '@eks-auth-hub/sim';
import { afterAll, beforeAll } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { createLogger, type Logger } from '../../apps/controller/src/logging.js';
import { demoHubFile, demoWorldFile } from './child.js';

export * from './child.js';

export const PAYMENTS = '111122223333';
export const ANALYTICS = '444455556666';
export const PLATFORM = '555566667777';
export const SPOKE_ROLE = 'eks-auth-hub-spoke';

export function demoWorld(): WorldFile {
  const loaded = loadWorldFile(readFileSync(demoWorldFile, 'utf8'), demoWorldFile);
  if (!loaded.ok) throw new Error(`the demo world does not load: ${JSON.stringify(loaded.issues)}`);
  return loaded.world;
}

export function demoHubText(): string {
  return readFileSync(demoHubFile, 'utf8');
}

export function loadState(text: string, file = demoHubFile): DesiredState {
  const result = loadDesiredState(text, file);
  if (!result.ok) throw new Error(`the desired state does not load: ${result.error.message}`);
  return result.state;
}

export interface Replace {
  readonly from: string;
  readonly to: string;
}

/** The demo desired state, with each `from` replaced by its `to` in the text (each `from` must occur). */
export function demoState(...replacements: readonly Replace[]): DesiredState {
  let text = demoHubText();
  for (const { from, to } of replacements) {
    if (!text.includes(from)) throw new Error(`the demo desired state holds no ${JSON.stringify(from)}`);
    text = text.replace(from, to);
  }
  return loadState(text);
}

// -------------------------------------------------------------------------------------------------
// The simulator, with the SDK's standard settings pointing at it for the file's lifetime.

// Ambient settings that would change which credentials or endpoints the SDK uses.
const AMBIENT_AWS_SETTINGS = [
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_SESSION_TOKEN',
  'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS',
  'AWS_DEFAULT_REGION',
];

export interface SimHandle {
  readonly sim: Simulator;
}

/** Starts the demo world in beforeAll and sets process.env from sim.env(); restores both in afterAll. */
export function useSimulator(world: () => WorldFile = demoWorld, region = 'eu-west-1'): SimHandle {
  let sim: Simulator | undefined;
  const saved = new Map<string, string | undefined>();
  beforeAll(async () => {
    sim = await startSimulator({ world: world() });
    const env = sim.env(region);
    for (const key of [...AMBIENT_AWS_SETTINGS, ...Object.keys(env)]) saved.set(key, process.env[key]);
    for (const key of AMBIENT_AWS_SETTINGS) delete process.env[key];
    Object.assign(process.env, env);
  });
  afterAll(async () => {
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await sim?.close();
  });
  return {
    get sim(): Simulator {
      if (sim === undefined) throw new Error('the simulator is not started yet');
      return sim;
    },
  };
}

export function refOf(state: DesiredState, name: string): SimClusterRef {
  const spec = state.clusters.find((c) => c.name === name);
  if (spec === undefined) throw new Error(`no cluster ${name} in the desired state`);
  return { account: spec.account, region: spec.region, cluster: spec.name };
}

interface MapRole {
  rolearn: string;
  username: string;
  groups: string[];
}

/** A hand edit of a cluster's live mapRoles (annotations kept, as kubectl edit would). */
export function editMapRoles(sim: Simulator, ref: SimClusterRef, edit: (roles: MapRole[]) => MapRole[]): void {
  const live = sim.control.readAwsAuth(ref);
  if (live === null) throw new Error(`${ref.cluster} has no aws-auth`);
  const roles = parseYaml(live.data['mapRoles'] ?? '[]') as MapRole[];
  sim.control.editAwsAuth(ref, { ...live.data, mapRoles: stringifyYaml(edit(roles)) });
}

/** The current Identity Center role name of a permission set in an account (exactly one expected). */
export function ssoRoleName(sim: Simulator, account: string, permissionSet: string): string {
  const roles = sim.world.permissionSetRoles(account, permissionSet);
  if (roles.length !== 1 || roles[0] === undefined) throw new Error(`${permissionSet} has ${roles.length} roles in ${account}`);
  return roles[0].name;
}

/** Requests the simulator answered: `<service>:<Operation>` or `k8s:<verb>` → outcome → count. */
export function simCount(sim: Simulator, operation: string, outcome?: string): number {
  const count = sim.control.counters()[operation];
  if (count === undefined) return 0;
  return outcome === undefined ? count.calls : (count.outcomes[outcome] ?? 0);
}

export function writesSeen(sim: Simulator): number {
  return simCount(sim, 'k8s:update') + simCount(sim, 'k8s:create') + simCount(sim, 'k8s:patch') + simCount(sim, 'k8s:delete');
}

/** What the reports of a pass (the full one of the CLI and the Lambda, the service's summary) have in common per cluster. */
export type ReportedCluster = ClusterEntry & {
  readonly name: string;
  readonly error?: { readonly code: string; readonly message: string };
  readonly refusals: readonly { readonly rule: string }[];
};

export function outcomes(report: PassReport<ReportedCluster>): Record<string, string> {
  return Object.fromEntries(report.clusters.map((c) => [c.name, c.outcome]));
}

export function explain(report: PassReport<ReportedCluster> | null): string {
  if (report === null) return 'no report';
  return report.clusters
    .filter((c) => c.outcome === 'failed' || c.outcome === 'blocked')
    .map(
      (c) =>
        `${c.name}: ${c.outcome} ${c.error === undefined ? '' : `${c.error.code} ${c.error.message}`} ${c.refusals.map((r) => r.rule).join(',')}`,
    )
    .join('\n');
}

// -------------------------------------------------------------------------------------------------
// Logs: pino writing JSON lines to memory.

export interface MemoryLog {
  readonly logger: Logger;
  /** Every line written so far. */
  lines(): string[];
  /** Every line, parsed. */
  records(): Record<string, unknown>[];
  text(): string;
}

export function memoryLogger(level = 'debug'): MemoryLog {
  const chunks: string[] = [];
  const logger = createLogger({ level, destination: { write: (chunk: string) => void chunks.push(chunk) } });
  const lines = (): string[] =>
    chunks
      .join('')
      .split('\n')
      .filter((l) => l !== '');
  return {
    logger,
    lines,
    records: () => lines().map((l) => JSON.parse(l) as Record<string, unknown>),
    text: () => chunks.join(''),
  };
}

// -------------------------------------------------------------------------------------------------
// The Prometheus text exposition format (version 0.0.4), parsed the way a scraper reads it.

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Exposition {
  /** Metric family name → type, from `# TYPE` lines. */
  readonly types: ReadonlyMap<string, string>;
  /** Metric family name → help text, from `# HELP` lines. */
  readonly help: ReadonlyMap<string, string>;
  readonly samples: readonly Sample[];
}

/** A sample value as Prometheus reads it (Go's ParseFloat: special values in any case, e.g. prom-client's `Nan`). */
function parseValue(text: string): number {
  const lower = text.toLowerCase();
  if (lower === '+inf' || lower === 'inf') return Number.POSITIVE_INFINITY;
  if (lower === '-inf') return Number.NEGATIVE_INFINITY;
  if (lower === 'nan') return Number.NaN;
  const value = Number(text);
  if (text.trim() === '' || Number.isNaN(value)) throw new Error(`not a sample value: ${JSON.stringify(text)}`);
  return value;
}

function unescapeLabel(text: string): string {
  return text.replace(/\\(["\\n])/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*)\})?\s+(\S+)(?:\s+(-?[0-9]+))?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const samples: Sample[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
      if (meta === null) continue; // a comment
      const [, kind, name = '', rest = ''] = meta;
      if (kind === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest))
          throw new Error(`line ${index + 1}: unknown type ${rest}`);
        if (types.has(name)) throw new Error(`line ${index + 1}: a second TYPE line for ${name}`);
        types.set(name, rest);
      } else help.set(name, rest);
      continue;
    }
    const match = SAMPLE.exec(line);
    if (match === null) throw new Error(`line ${index + 1} is not a sample: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (match[2] ?? '').matchAll(LABEL)) labels[l[1] ?? ''] = unescapeLabel(l[2] ?? '');
    samples.push({ name: match[1] ?? '', labels, value: parseValue(match[3] ?? '') });
  }
  return { types, help, samples };
}

/** The family a sample belongs to (histogram and summary samples carry a suffix). */
export function familyOf(exposition: Exposition, sampleName: string): string | undefined {
  if (exposition.types.has(sampleName)) return sampleName;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (sampleName.endsWith(suffix)) {
      const base = sampleName.slice(0, -suffix.length);
      const type = exposition.types.get(base);
      if (type === 'histogram' || type === 'summary') return base;
    }
  }
  return undefined;
}

/** Samples of `name` whose labels include `labels`. */
export function samplesOf(exposition: Exposition, name: string, labels: Record<string, string> = {}): Sample[] {
  return exposition.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** The value of the one sample of `name` with exactly these labels (throws when there is none). */
export function sampleValue(exposition: Exposition, name: string, labels: Record<string, string> = {}): number {
  const found = exposition.samples.filter(
    (s) =>
      s.name === name &&
      Object.keys(s.labels).length === Object.keys(labels).length &&
      Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length !== 1 || found[0] === undefined) throw new Error(`${found.length} samples ${name}${JSON.stringify(labels)}`);
  return found[0].value;
}

/** The value, or undefined when the series is not exported. */
export function maybeValueOf(exposition: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  try {
    return sampleValue(exposition, name, labels);
  } catch {
    return undefined;
  }
}

// -------------------------------------------------------------------------------------------------
// HTTP.

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

export async function http(url: string, init: RequestInit = {}): Promise<HttpAnswer> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

export async function scrape(baseUrl: string): Promise<{ text: string; exposition: Exposition; contentType: string }> {
  const answer = await http(`${baseUrl}/metrics`);
  if (answer.status !== 200) throw new Error(`/metrics answered ${answer.status}: ${answer.body}`);
  return { text: answer.body, exposition: parseExposition(answer.body), contentType: answer.headers.get('content-type') ?? '' };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
  everyMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError === undefined ? '' : ` (last error: ${String(lastError)})`}`,
      );
    await sleep(everyMs);
  }
}
