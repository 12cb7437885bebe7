/**
 * The SDK settings the hub looks up once for all its clients (FIPS and dual-stack endpoints, the
 * user-agent app id, configured endpoint URLs) still take effect on every client, from the
 * environment and from the shared config file, on the wire: the real EKS and IAM clients against the
 * simulator, through a proxy that records what reaches it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EKSClient } from '@aws-sdk/client-eks';
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import type { ClusterRef } from '@eks-auth-hub/core';
import { loadWorldFile, type Simulator, startSimulator } from '@eks-auth-hub/sim';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EksClusterDirectory } from '../src/eks-cluster-directory.js';
import { IamRoleDirectory } from '../src/iam-role-directory.js';
import { type AwsPorts, createAwsPorts } from '../src/ports.js';
import { serviceClientSettings } from '../src/sdk-options.js';
import { StsAccountSessions } from '../src/sessions.js';
import { rejection } from './rejection.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const hub = { roleName: 'eks-auth-hub-spoke', externalId: 'example-external-id', sessionName: 'eks-auth-hub' };
const prod: ClusterRef = { account: '111122223333', region: 'eu-west-1', name: 'payments-prod', partition: 'aws' };

/** What reached the proxy. */
interface Seen {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}

let sim: Simulator;
let proxy: Server;
let proxyUrl: string;
let seen: Seen[] = [];
let dir: string;
const saved = { ...process.env };

/** Forwards every request to the simulator's AWS endpoint unchanged (the Host header too, which is signed). */
function startProxy(target: URL): Promise<Server> {
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    const forwarded = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => res.destroy());
    req.pipe(forwarded);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

beforeAll(async () => {
  const file = join(repo, 'config', 'sim', 'demo-world.yaml');
  const loaded = loadWorldFile(readFileSync(file, 'utf8'), file);
  if (!loaded.ok) throw new Error('demo world does not load');
  sim = await startSimulator({ world: loaded.world });
  proxy = await startProxy(new URL(sim.awsEndpoint));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  dir = mkdtempSync(join(tmpdir(), 'eks-auth-hub-sdk-'));
});
afterAll(async () => {
  process.env = saved;
  await new Promise<void>((resolve) => {
    proxy.close(() => resolve());
    proxy.closeAllConnections();
  });
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

let files = 0;

/** The simulator's settings, nothing else of the machine's AWS configuration, then `env`. */
function useEnv(env: Record<string, string>, configFile?: string): void {
  const clean = Object.fromEntries(Object.entries(saved).filter(([name]) => !name.startsWith('AWS_')));
  files += 1;
  const config = join(dir, `config-${files}`);
  writeFileSync(config, configFile ?? '');
  process.env = {
    ...clean,
    ...sim.env('eu-west-1'),
    AWS_CONFIG_FILE: config,
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
    ...env,
  };
}

beforeEach(() => {
  seen = [];
});
afterEach(() => {
  process.env = saved;
});

/** Fresh ports: the settings are looked up again for them. */
const ports = (): AwsPorts => createAwsPorts({ hub, maxAttempts: 1, requestTimeoutMs: 2_000 });

/**
 * The hub's EKS and IAM clients, with sessions from an STS client that asks for neither FIPS nor
 * dual-stack (the SDK would refuse its AssumeRole first, and the hub's clients would not be reached).
 */
function directories(): { clusters: EksClusterDirectory; roles: IamRoleDirectory } {
  const sts = new STSClient({ region: 'eu-west-1', useFipsEndpoint: false, useDualstackEndpoint: false });
  const sessions = new StsAccountSessions({ ...hub, sts });
  const options = { maxAttempts: 1, requestTimeoutMs: 2_000 };
  return { clusters: new EksClusterDirectory(sessions, options), roles: new IamRoleDirectory(sessions, options) };
}

const eksRequests = (): Seen[] => seen.filter((r) => r.path.startsWith('/clusters/'));
const iamRequests = (): Seen[] => seen.filter((r) => String(r.headers['authorization']).includes('/iam/aws4_request'));

describe('configured endpoint URLs', () => {
  it('each client uses the endpoint configured for its service (AWS_ENDPOINT_URL_EKS, AWS_ENDPOINT_URL_IAM)', async () => {
    useEnv({ AWS_ENDPOINT_URL_EKS: proxyUrl, AWS_ENDPOINT_URL_IAM: proxyUrl });
    const p = ports();
    const endpoint = await p.clusters.describe(prod);
    expect(endpoint.endpoint).toMatch(/^https:\/\//);
    const roles = await p.roles.listSsoRoles(prod.account, 'aws');
    expect(roles.length).toBeGreaterThan(0);
    expect(eksRequests().map((r) => r.path)).toEqual(['/clusters/payments-prod']);
    expect(iamRequests()).toHaveLength(1);
  });

  it('AWS_ENDPOINT_URL serves the services without their own setting', async () => {
    useEnv({ AWS_ENDPOINT_URL_EKS: '', AWS_ENDPOINT_URL_IAM: '', AWS_ENDPOINT_URL: proxyUrl });
    const p = ports();
    await p.clusters.describe(prod);
    await p.roles.listSsoRoles(prod.account, 'aws');
    expect(eksRequests()).toHaveLength(1);
    expect(iamRequests()).toHaveLength(1);
  });

  it("the profile's endpoint_url and services section in the shared config file", async () => {
    useEnv(
      { AWS_ENDPOINT_URL_EKS: '', AWS_ENDPOINT_URL_IAM: '' },
      `[default]\nservices = via-proxy\n\n[services via-proxy]\neks =\n  endpoint_url = ${proxyUrl}\niam =\n  endpoint_url = ${proxyUrl}\n`,
    );
    const p = ports();
    await p.clusters.describe(prod);
    await p.roles.listSsoRoles(prod.account, 'aws');
    expect(eksRequests()).toHaveLength(1);
    expect(iamRequests()).toHaveLength(1);
  });

  it('is looked for by each client only when one is configured for its service', async () => {
    useEnv({ AWS_ENDPOINT_URL_EKS: proxyUrl, AWS_ENDPOINT_URL_IAM: '', AWS_ENDPOINT_URL_STS: '' });
    const options = {};
    expect((await serviceClientSettings(options, 'EKS')).ignoreConfiguredEndpointUrls).toBeUndefined();
    expect((await serviceClientSettings(options, 'IAM')).ignoreConfiguredEndpointUrls).toBe(true);
    useEnv({ AWS_ENDPOINT_URL_EKS: proxyUrl, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' });
    expect((await serviceClientSettings({}, 'EKS')).ignoreConfiguredEndpointUrls).toBe(true);
    // The service ids are the clients' own.
    expect(new EKSClient({ region: 'eu-west-1' }).config.serviceId).toBe('EKS');
    expect(new IAMClient({ region: 'us-east-1' }).config.serviceId).toBe('IAM');
  });
});

describe('FIPS and dual-stack endpoints', () => {
  // The SDK refuses a FIPS or dual-stack endpoint together with a custom one before sending anything:
  // the refusal shows the setting reached the client.
  for (const [name, refused, env, file] of [
    ['AWS_USE_FIPS_ENDPOINT=true', 'FIPS', { AWS_USE_FIPS_ENDPOINT: 'true' }, undefined],
    ['use_fips_endpoint in the profile', 'FIPS', {}, '[default]\nuse_fips_endpoint = true\n'],
    ['AWS_USE_DUALSTACK_ENDPOINT=true', 'Dualstack', { AWS_USE_DUALSTACK_ENDPOINT: 'true' }, undefined],
    ['use_dualstack_endpoint in the profile', 'Dualstack', {}, '[default]\nuse_dualstack_endpoint = true\n'],
  ] as const) {
    it(`${name} reaches every client`, async () => {
      useEnv({ AWS_ENDPOINT_URL_EKS: proxyUrl, AWS_ENDPOINT_URL_IAM: proxyUrl, ...env }, file);
      const p = directories();
      const eks = await rejection(p.clusters.describe(prod));
      expect(eks.message).toMatch(
        new RegExp(`^eks:DescribeCluster payments-prod .*Invalid Configuration: ${refused} and custom endpoint are not supported`),
      );
      const iam = await rejection(p.roles.listSsoRoles(prod.account, 'aws'));
      expect(iam.message).toMatch(
        new RegExp(`^iam:ListRoles in 111122223333 .*Invalid Configuration: ${refused} and custom endpoint are not supported`),
      );
      expect(seen).toEqual([]);
    });
  }

  it('set to false, they leave the endpoints as they are', async () => {
    useEnv({
      AWS_ENDPOINT_URL_EKS: proxyUrl,
      AWS_ENDPOINT_URL_IAM: proxyUrl,
      AWS_USE_FIPS_ENDPOINT: 'false',
      AWS_USE_DUALSTACK_ENDPOINT: 'false',
    });
    const p = directories();
    await p.clusters.describe(prod);
    await p.roles.listSsoRoles(prod.account, 'aws');
    expect(eksRequests()).toHaveLength(1);
    expect(iamRequests()).toHaveLength(1);
  });
});

describe('user-agent app id', () => {
  it('AWS_SDK_UA_APP_ID is sent by every client', async () => {
    useEnv({ AWS_ENDPOINT_URL_EKS: proxyUrl, AWS_ENDPOINT_URL_IAM: proxyUrl, AWS_SDK_UA_APP_ID: 'platform-team' });
    const p = ports();
    await p.clusters.describe(prod);
    await p.roles.listSsoRoles(prod.account, 'aws');
    expect(seen.length).toBe(2);
    for (const r of seen) expect(String(r.headers['user-agent'])).toMatch(/ app\/platform-team(?: |$)/);
  });

  it('sdk_ua_app_id in the profile', async () => {
    useEnv({ AWS_ENDPOINT_URL_EKS: proxyUrl }, '[default]\nsdk_ua_app_id = from-profile\n');
    await ports().clusters.describe(prod);
    expect(String(eksRequests()[0]?.headers['user-agent'])).toMatch(/ app\/from-profile(?: |$)/);
  });

  it('none: no app section', async () => {
    useEnv({ AWS_ENDPOINT_URL_EKS: proxyUrl });
    await ports().clusters.describe(prod);
    expect(String(eksRequests()[0]?.headers['user-agent'])).not.toMatch(/ app\//);
  });
});
