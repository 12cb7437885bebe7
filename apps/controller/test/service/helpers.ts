/**
 * Helpers for the service-mode tests: the simulator, paths, child processes, the exposition parser
 * and HTTP come from the test kit (@eks-auth-hub/testing, re-exported here); what is the service's
 * own is here: hand edits of the live mapRoles, an in-memory pino logger and the reports' outcomes.
 */
import { createAwsPorts } from '@eks-auth-hub/aws';
import type { ClusterEntry, DesiredState, PassReport } from '@eks-auth-hub/core';
import type { SimClusterRef, Simulator } from '@eks-auth-hub/sim';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { createLogger, type Logger } from '../../src/logging.js';
import { type RunningHub, startHub } from '../../src/run.js';

export {
  ANALYTICS,
  demoHubFile,
  demoHubText,
  demoState,
  demoWorld,
  type Exited,
  type Exposition,
  exitWithin,
  familyOf,
  freePort,
  http,
  hubBin as bin,
  jsonLines,
  loadState,
  maybeValueOf,
  PAYMENTS,
  PLATFORM,
  parseExposition,
  refOf,
  repoRoot as repo,
  runToEnd,
  type Started,
  samplesOf,
  sampleValue,
  scrape,
  simCount,
  sleep,
  start,
  waitFor,
  writesSeen,
} from '@eks-auth-hub/testing';
export { useSimulator } from '@eks-auth-hub/testing/vitest';

export const SPOKE_ROLE = 'eks-auth-hub-spoke';

/**
 * startHub on a free local port with passes an hour apart (the tests ask for passes), and the adapters
 * as startHub builds them but without retries: one AWS call is one request on the wire, and a
 * throttled listing fails at once.
 */
export function startHubWithoutRetries(state: DesiredState, logger: Logger): Promise<RunningHub> {
  return startHub({
    state,
    listen: { host: '127.0.0.1', port: 0 },
    logger,
    intervalMs: 3_600_000,
    makePorts: (observer) => createAwsPorts({ hub: state.hub, observer, maxAttempts: 1 }),
  });
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
