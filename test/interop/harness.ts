/**
 * What the interop suite shares: finding the real `aws` and `kubectl`, running them as child
 * processes with a clean environment, and a simulator started in-process with the demo world.
 *
 * The CLIs come from PATH; INTEROP_AWS_CLI / INTEROP_KUBECTL name other binaries (e.g. Debian's
 * /usr/bin/aws when a pip install shadows it). A missing CLI fails every test that needs it: the
 * suite never skips.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadWorldFile, type SimClusterRef, type Simulator, startSimulator } from '@eks-auth-hub/sim';
import { z } from 'zod';

export const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const INSTALL_HINT =
  "install Debian's awscli and kubernetes-client packages (apt-get update && apt-get install -y awscli kubernetes-client), " +
  'or point INTEROP_AWS_CLI / INTEROP_KUBECTL at the binaries';

const TOOLS = {
  aws: { override: 'INTEROP_AWS_CLI', what: 'the AWS CLI' },
  kubectl: { override: 'INTEROP_KUBECTL', what: 'the Kubernetes client' },
} as const;

export type ToolName = keyof typeof TOOLS;

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The absolute path of `aws` or `kubectl`; throws with install instructions when there is none. */
export function tool(name: ToolName): string {
  const { override, what } = TOOLS[name];
  const given = process.env[override];
  if (given !== undefined && given !== '') {
    if (isAbsolute(given) && isExecutableFile(given)) return given;
    throw new Error(`${override}=${given} is not an executable file given by absolute path; ${INSTALL_HINT}`);
  }
  const path = process.env['PATH'] ?? '';
  for (const dir of path.split(delimiter)) {
    if (dir === '' || !isAbsolute(dir)) continue;
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  throw new Error(`\`${name}\` (${what}) is not on PATH (${path}); the interop suite runs the real CLIs: ${INSTALL_HINT}`);
}

export interface RunResult {
  readonly command: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `file args` with exactly `env` (nothing inherited) and collects its output. */
export function run(file: string, args: readonly string[], env: Readonly<Record<string, string>>, timeoutMs = 60_000): Promise<RunResult> {
  const command = [file, ...args].join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: { ...env }, cwd: env['HOME'] ?? repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${command}: ${error.message}`, { cause: error }));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ command, code, signal, stdout, stderr });
    });
  });
}

/** `run`, failing with the command's whole output unless it exits 0. */
export async function runOk(file: string, args: readonly string[], env: Readonly<Record<string, string>>): Promise<string> {
  const result = await run(file, args, env);
  if (result.code !== 0) {
    throw new Error(
      `${result.command} exited with ${String(result.code ?? result.signal)}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`,
    );
  }
  return result.stdout;
}

/** Parses a CLI's JSON output against a schema, quoting the output when it does not fit. */
export function parseOutput<T>(schema: z.ZodType<T>, stdout: string, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch (error) {
    throw new Error(`${what}: output is not JSON (${error instanceof Error ? error.message : String(error)}):\n${stdout}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(`${what}: unexpected output shape: ${z.prettifyError(parsed.error)}\n${stdout}`);
  return parsed.data;
}

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export const PAYMENTS_ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';
export const SPOKE_ROLE_ARN = `arn:aws:iam::${PAYMENTS_ACCOUNT}:role/eks-auth-hub-spoke`;
export const EXTERNAL_ID = 'example-external-id';
/** AssumeRole requires 2..64 characters, so the CLI refuses a one-letter session name itself. */
export const SESSION_NAME = 'interop';
export const PAYMENTS_PROD: SimClusterRef = { account: PAYMENTS_ACCOUNT, region: REGION, cluster: 'payments-prod' };
export const PAYMENTS_STAGING: SimClusterRef = { account: PAYMENTS_ACCOUNT, region: REGION, cluster: 'payments-staging' };

/** `aws sts assume-role` of the spoke role in the payments account, with `externalId`, JSON output. */
export function assumeRoleArgs(awsEndpoint: string, externalId = EXTERNAL_ID): string[] {
  return [
    'sts',
    'assume-role',
    '--endpoint-url',
    awsEndpoint,
    '--role-arn',
    SPOKE_ROLE_ARN,
    '--role-session-name',
    SESSION_NAME,
    '--external-id',
    externalId,
    '--output',
    'json',
  ];
}

export const assumeRoleOutput = z.object({
  Credentials: z.object({
    AccessKeyId: z.string().min(16),
    SecretAccessKey: z.string().min(1),
    SessionToken: z.string().min(1),
    Expiration: z.string(),
  }),
  AssumedRoleUser: z.object({ Arn: z.string(), AssumedRoleId: z.string() }),
});

export const execCredential = z.object({
  kind: z.literal('ExecCredential'),
  apiVersion: z.literal('client.authentication.k8s.io/v1beta1'),
  spec: z.object({}),
  status: z.object({ expirationTimestamp: z.string(), token: z.string().startsWith('k8s-aws-v1.') }),
});

/** One started simulator and a private HOME for the CLIs; `close()` removes both. */
export class Interop {
  private constructor(
    readonly sim: Simulator,
    readonly home: string,
  ) {}

  static async start(): Promise<Interop> {
    const file = join(repo, 'config', 'sim', 'demo-world.yaml');
    const loaded = loadWorldFile(readFileSync(file, 'utf8'), file);
    if (!loaded.ok) throw new Error(`${file}: ${JSON.stringify(loaded.issues)}`);
    const sim = await startSimulator({ world: loaded.world });
    return new Interop(sim, mkdtempSync(join(tmpdir(), 'eks-auth-hub-interop-')));
  }

  async close(): Promise<void> {
    await this.sim.close();
    rmSync(this.home, { recursive: true, force: true });
  }

  get hub(): Credentials {
    return { accessKeyId: this.sim.world.hub.accessKeyId, secretAccessKey: this.sim.world.hub.secretAccessKey };
  }

  /** A file path inside the private HOME. */
  path(name: string): string {
    return join(this.home, name);
  }

  /**
   * The only environment a CLI sees: credentials, region, no config or credentials files, a private
   * HOME and KUBECONFIG, no pager (awscli v2), no instance-metadata lookups; PATH for interpreters.
   */
  env(credentials: Credentials, kubeconfig = this.path('kubeconfig')): Record<string, string> {
    return {
      PATH: process.env['PATH'] ?? '',
      HOME: this.home,
      KUBECONFIG: kubeconfig,
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_DEFAULT_REGION: REGION,
      AWS_PAGER: '',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      ...(credentials.sessionToken === undefined ? {} : { AWS_SESSION_TOKEN: credentials.sessionToken }),
    };
  }

  /** Runs `aws ARGS` with `credentials`; the endpoint is not added (get-token needs none). */
  aws(args: readonly string[], credentials: Credentials): Promise<RunResult> {
    return run(tool('aws'), args, this.env(credentials));
  }

  async awsOk(args: readonly string[], credentials: Credentials): Promise<string> {
    return runOk(tool('aws'), args, this.env(credentials));
  }

  /** The spoke role's session in the payments account, obtained with `aws sts assume-role`. */
  async assumeSpoke(): Promise<Credentials> {
    const stdout = await this.awsOk(assumeRoleArgs(this.sim.awsEndpoint), this.hub);
    const { Credentials: c } = parseOutput(assumeRoleOutput, stdout, 'aws sts assume-role');
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  }

  /** `aws eks get-token` for `clusterName`, parsed. */
  async getToken(clusterName: string, credentials: Credentials): Promise<z.infer<typeof execCredential>> {
    const stdout = await this.awsOk(
      ['eks', 'get-token', '--cluster-name', clusterName, '--region', REGION, '--output', 'json'],
      credentials,
    );
    return parseOutput(execCredential, stdout, 'aws eks get-token');
  }

  /** The URL kubectl and the hub use for a cluster: DescribeCluster's endpoint. */
  clusterEndpoint(ref: SimClusterRef): string {
    return `${this.sim.kubeEndpoint}/k8s/${this.sim.world.cluster(ref.account, ref.region, ref.cluster).id}`;
  }

  /** Writes a kubeconfig (JSON is valid YAML) for one cluster (CA optional) and one user entry; returns its path. */
  writeKubeconfig(name: string, server: string, caData: string | undefined, user: Record<string, unknown>): string {
    const file = this.path(`${name}.kubeconfig`);
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'sim', cluster: { server, ...(caData === undefined ? {} : { 'certificate-authority-data': caData }) } }],
      users: [{ name: 'user', user }],
      contexts: [{ name: 'sim', context: { cluster: 'sim', user: 'user' } }],
      'current-context': 'sim',
      preferences: {},
    };
    writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    return file;
  }
}

/** A GET over HTTPS that trusts only `caPem`, with a bearer token; the body parsed as JSON. */
export function kubeGet(url: string, caPem: string, token: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'GET', ca: caPem, headers: { authorization: `Bearer ${token}`, accept: 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown });
          } catch (error) {
            reject(new Error(`GET ${url} answered ${String(res.statusCode)} with a body that is not JSON: ${text}`, { cause: error }));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
