/**
 * What the simulator costs: start-up time of a large generated world (a separate process, as the
 * demo and the benchmark run it) and sustained requests per second per operation.
 *
 *   pnpm bench:sim [--accounts 2000] [--clusters-per-account 5] [--sso-roles 40] [--seconds 3] [--concurrency 32]
 *
 * The load comes from this process on the same machine, so the rates are a lower bound. Requests are
 * signed once with the SDK's signer and replayed (the simulator checks every signature each time).
 * Where /proc is there (Linux), the simulator process's CPU time (user + system) per request is
 * reported too.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

const { values } = parseArgs({
  options: {
    accounts: { type: 'string', default: '2000' },
    'clusters-per-account': { type: 'string', default: '5' },
    'sso-roles': { type: 'string', default: '40' },
    seconds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '32' },
  },
});
const accounts = Number(values.accounts);
const perAccount = Number(values['clusters-per-account']);
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);

interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}
interface Prepared {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: string;
}

const started = process.hrtime.bigint();
const child = spawn(
  process.execPath,
  [
    'packages/sim/dist/main.js',
    '--accounts',
    String(accounts),
    '--clusters-per-account',
    String(perAccount),
    '--sso-roles',
    String(values['sso-roles']),
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const firstLine = await new Promise<string>((resolve, reject) => {
  const lines = createInterface({ input: child.stdout });
  lines.once('line', resolve);
  child.once('exit', (code) => reject(new Error(`simulator exited with ${String(code)}`)));
});
const startMs = Number(process.hrtime.bigint() - started) / 1e6;

/** The simulator process's CPU time so far (user + system, ms), or undefined without /proc. */
function simCpuMs(): number | undefined {
  try {
    const fields =
      readFileSync(`/proc/${String(child.pid)}/stat`, 'utf8')
        .split(') ')[1]
        ?.split(' ') ?? [];
    const ticksPerSecond = 100;
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return undefined;
  }
}
const info = JSON.parse(firstLine) as { env: Record<string, string>; awsEndpoint: string; kubeEndpoint: string };
const hub: Creds = { accessKeyId: info.env['AWS_ACCESS_KEY_ID'] ?? '', secretAccessKey: info.env['AWS_SECRET_ACCESS_KEY'] ?? '' };
const aws = new URL(info.awsEndpoint);
const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: concurrency });
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: concurrency, rejectUnauthorized: false });

async function sign(
  creds: Creds,
  service: string,
  region: string,
  method: string,
  path: string,
  body: string,
  query: Record<string, string> = {},
): Promise<Prepared> {
  const signer = new SignatureV4({ credentials: creds, region, service, sha256: Hash.bind(null, 'sha256') });
  const req = new HttpRequest({
    method,
    protocol: 'http:',
    hostname: aws.hostname,
    port: Number(aws.port),
    path,
    query,
    headers: { host: aws.host, ...(body === '' ? {} : { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }) },
    body,
  });
  const signed = await signer.sign(req);
  const qs = new URLSearchParams(query).toString();
  return {
    url: new URL(`${info.awsEndpoint}${path}${qs === '' ? '' : `?${qs}`}`),
    method,
    headers: signed.headers as Record<string, string>,
    body,
  };
}

function send(p: Prepared): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const isHttps = p.url.protocol === 'https:';
    const req = (isHttps ? httpsRequest : httpRequest)(
      p.url,
      { method: p.method, headers: p.headers, agent: isHttps ? httpsAgent : httpAgent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(p.body);
  });
}

async function assume(account: string): Promise<Creds> {
  const form = `Action=AssumeRole&Version=2011-06-15&RoleArn=${encodeURIComponent(`arn:aws:iam::${account}:role/eks-auth-hub-spoke`)}&RoleSessionName=bench&ExternalId=example-external-id`;
  const res = await send(await sign(hub, 'sts', 'eu-west-1', 'POST', '/', form));
  const pick = (tag: string): string => new RegExp(`<${tag}>([^<]+)</${tag}>`).exec(res.body)?.[1] ?? '';
  if (res.status !== 200) throw new Error(`AssumeRole ${res.status}: ${res.body}`);
  return { accessKeyId: pick('AccessKeyId'), secretAccessKey: pick('SecretAccessKey'), sessionToken: pick('SessionToken') };
}

async function load(
  name: string,
  requests: Prepared[],
): Promise<{
  operation: string;
  requests: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  simCpuUsPerRequest: number | null;
}> {
  const latencies: number[] = [];
  let errors = 0;
  let i = 0;
  const cpuBefore = simCpuMs();
  const deadline = Date.now() + seconds * 1000;
  const maxRequests = 200_000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline && latencies.length + errors < maxRequests) {
        const p = requests[i++ % requests.length];
        if (p === undefined) return;
        const t = process.hrtime.bigint();
        const res = await send(p);
        if (res.status === 200) latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
        else errors += 1;
      }
    }),
  );
  const cpuAfter = simCpuMs();
  latencies.sort((a, b) => a - b);
  const q = (f: number): number => Number((latencies[Math.min(latencies.length - 1, Math.floor(f * latencies.length))] ?? 0).toFixed(2));
  const total = latencies.length + errors;
  const simCpuUsPerRequest =
    cpuBefore === undefined || cpuAfter === undefined || total === 0 ? null : Math.round(((cpuAfter - cpuBefore) * 1000) / total);
  return {
    operation: name,
    requests: total,
    perSecond: Math.round(total / seconds),
    p50Ms: q(0.5),
    p99Ms: q(0.99),
    errors,
    simCpuUsPerRequest,
  };
}

try {
  const sample = Array.from({ length: Math.min(50, accounts) }, (_, i) =>
    String(100_000_000_000 + Math.floor((i * accounts) / Math.min(50, accounts))),
  );
  const sessions = await Promise.all(sample.map(assume));
  const listRoles = await Promise.all(
    sessions.map((s) =>
      sign(
        s,
        'iam',
        'us-east-1',
        'POST',
        '/',
        'Action=ListRoles&Version=2010-05-08&PathPrefix=%2Faws-reserved%2Fsso.amazonaws.com%2F&MaxItems=1000',
      ),
    ),
  );
  const describe = await Promise.all(sessions.map((s) => sign(s, 'eks', 'eu-west-1', 'GET', '/clusters/cluster-000', '')));
  const assumeRole = await Promise.all(
    sample.map((account) =>
      sign(
        hub,
        'sts',
        'eu-west-1',
        'POST',
        '/',
        `Action=AssumeRole&Version=2011-06-15&RoleArn=${encodeURIComponent(`arn:aws:iam::${account}:role/eks-auth-hub-spoke`)}&RoleSessionName=bench&ExternalId=example-external-id`,
      ),
    ),
  );
  // A cluster read: DescribeCluster for the endpoint, then a token presigned like `aws eks get-token`.
  const kubeGets: Prepared[] = [];
  for (const [i, s] of sessions.entries()) {
    const res = await send(describe[i] as Prepared);
    const endpoint = (JSON.parse(res.body) as { cluster: { endpoint: string } }).cluster.endpoint;
    const signer = new SignatureV4({ credentials: s, region: 'eu-west-1', service: 'sts', sha256: Hash.bind(null, 'sha256') });
    const presigned = await signer.presign(
      new HttpRequest({
        method: 'GET',
        protocol: 'https:',
        hostname: 'sts.eu-west-1.amazonaws.com',
        path: '/',
        query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
        headers: { host: 'sts.eu-west-1.amazonaws.com', 'x-k8s-aws-id': 'cluster-000' },
      }),
      { expiresIn: 60 },
    );
    const query = new URLSearchParams(presigned.query as Record<string, string>).toString();
    const token = `k8s-aws-v1.${Buffer.from(`https://sts.eu-west-1.amazonaws.com/?${query}`).toString('base64url')}`;
    kubeGets.push({
      url: new URL(`${endpoint}/api/v1/namespaces/kube-system/configmaps/aws-auth`),
      method: 'GET',
      headers: { authorization: `Bearer ${token}` },
      body: '',
    });
  }
  // Every generated cluster-000 is created by the spoke role: the read is authorised; 404 when it has no aws-auth.
  const kubeExisting: Prepared[] = [];
  for (const p of kubeGets) if ((await send(p)).status === 200) kubeExisting.push(p);

  const results = [];
  results.push(await load('sts:AssumeRole', assumeRole));
  results.push(await load('iam:ListRoles (40 SSO roles)', listRoles));
  results.push(await load('eks:DescribeCluster', describe));
  if (kubeExisting.length > 0) results.push(await load('k8s:get aws-auth (token verified)', kubeExisting));
  const summary = {
    world: { accounts, clusters: accounts * perAccount, ssoRolesPerAccount: Number(values['sso-roles']) },
    startMs: Math.round(startMs),
    concurrency,
    results,
  };
  process.stdout.write(
    `simulator with ${summary.world.clusters} clusters in ${accounts} accounts: up in ${summary.startMs} ms (process start included)\n`,
  );
  for (const r of results) {
    const cpu = r.simCpuUsPerRequest === null ? '' : `   simulator CPU ${r.simCpuUsPerRequest} µs/req`;
    process.stdout.write(
      `  ${r.operation.padEnd(36)} ${String(r.perSecond).padStart(6)} req/s   p50 ${r.p50Ms} ms   p99 ${r.p99Ms} ms   errors ${r.errors}${cpu}\n`,
    );
  }
  process.stdout.write(`${JSON.stringify(summary)}\n`);
} finally {
  child.kill('SIGTERM');
  httpAgent.destroy();
  httpsAgent.destroy();
}
