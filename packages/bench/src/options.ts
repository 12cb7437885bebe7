/** The benchmark's command line: what world, how slow the simulated network, how much in flight. */
import { parseArgs } from 'node:util';

export interface BenchOptions {
  readonly accounts: number;
  readonly clustersPerAccount: number;
  /** Permission sets provisioned in every account (each one Identity Center role); the desired file maps them all. */
  readonly ssoRoles: number;
  /** Latency the simulator adds to every call (AWS and Kubernetes), in ms. */
  readonly latencyMs: number;
  /** `hub.concurrency`: clusters in flight at once (the per-cluster model runs as many clusters at once). */
  readonly concurrency: number;
  /** Share of (account, permission set) pairs reassigned (a new role suffix) before the third pass. */
  readonly reassignShare: number;
  readonly seed: number;
  /** Also run the per-cluster model of the earlier in-cluster tool on the same world. */
  readonly perCluster: boolean;
  /** Also run the libraries' floor: the cold pass's calls with the same libraries and nothing else. */
  readonly floor: boolean;
  /** `--max-old-space-size` for the hub process (what a container's memory limit does); 0: Node's default for the machine. */
  readonly hubHeapMb: number;
  /** Print only the JSON line. */
  readonly json: boolean;
}

export const USAGE = `Usage: pnpm bench [--accounts N] [--clusters-per-account M] [--sso-roles R] [--latency-ms L]
                  [--concurrency C] [--reassign-share S] [--seed N] [--hub-heap-mb H] [--no-per-cluster] [--no-floor] [--json]

  --accounts N              accounts in the generated world (200)
  --clusters-per-account M  clusters in each account (5)
  --sso-roles R             permission sets provisioned in each account, all mapped by the desired file (40)
  --latency-ms L            latency the simulator adds to every call, AWS and Kubernetes (25)
  --concurrency C           hub.concurrency: clusters in flight (32)
  --reassign-share S        share of permission sets reassigned (a new role suffix) before the third pass (0.01)
  --seed N                  world and reassignment seed (1)
  --hub-heap-mb H           run the hub with --max-old-space-size=H, as a container memory limit would (0: Node's default)
  --no-per-cluster          skip the per-cluster model of the earlier tool
  --no-floor                skip the libraries' floor (the cold pass's calls made with the same libraries, nothing else)
  --json                    print only the JSON line`;

export const DEFAULT_OPTIONS: BenchOptions = {
  accounts: 200,
  clustersPerAccount: 5,
  ssoRoles: 40,
  latencyMs: 25,
  concurrency: 32,
  reassignShare: 0.01,
  seed: 1,
  perCluster: true,
  floor: true,
  hubHeapMb: 0,
  json: false,
};

export class OptionsError extends Error {
  override readonly name = 'OptionsError';
}

function whole(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max)
    throw new OptionsError(`--${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}`);
  return n;
}

function share(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1)
    throw new OptionsError(`--${name} must be a number from 0 to 1, not ${JSON.stringify(value)}`);
  return n;
}

/** Parses the arguments; `help` when they ask for the usage. Throws OptionsError with the option named. */
export function parseBenchOptions(argv: readonly string[]): BenchOptions | 'help' {
  let values;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        accounts: { type: 'string' },
        'clusters-per-account': { type: 'string' },
        'sso-roles': { type: 'string' },
        'latency-ms': { type: 'string' },
        concurrency: { type: 'string' },
        'reassign-share': { type: 'string' },
        seed: { type: 'string' },
        'hub-heap-mb': { type: 'string' },
        'no-per-cluster': { type: 'boolean' },
        'no-floor': { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new OptionsError(error instanceof Error ? error.message : String(error));
  }
  if (values.help === true) return 'help';
  const d = DEFAULT_OPTIONS;
  return {
    accounts: whole(values.accounts, 'accounts', d.accounts, 1, 100_000),
    clustersPerAccount: whole(values['clusters-per-account'], 'clusters-per-account', d.clustersPerAccount, 1, 1_000),
    ssoRoles: whole(values['sso-roles'], 'sso-roles', d.ssoRoles, 2, 5_000),
    latencyMs: whole(values['latency-ms'], 'latency-ms', d.latencyMs, 0, 10_000),
    concurrency: whole(values.concurrency, 'concurrency', d.concurrency, 1, 256),
    reassignShare: share(values['reassign-share'], 'reassign-share', d.reassignShare),
    seed: whole(values.seed, 'seed', d.seed, 1, 2 ** 31 - 1),
    perCluster: values['no-per-cluster'] !== true,
    floor: values['no-floor'] !== true,
    hubHeapMb: whole(values['hub-heap-mb'], 'hub-heap-mb', d.hubHeapMb, 0, 65_536),
    json: values.json === true,
  };
}
