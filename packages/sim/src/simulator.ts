/**
 * Starting the simulator: an HTTP endpoint for STS, IAM, EKS and the control API, and an HTTPS
 * endpoint for every cluster's Kubernetes API, both on 127.0.0.1 (ephemeral ports by default).
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import { handleAwsRequest } from './aws-api.js';
import { SimControl } from './control.js';
import { handleControlRequest } from './control-routes.js';
import { Counters, Faults } from './faults.js';
import { handleKubeRequest } from './kube-api.js';
import { World } from './world.js';
import { type WorldFile, type WorldFileInput, worldSchema } from './world-schema.js';

export interface SimulatorOptions {
  /** A validated world, or the input form (validated here). */
  readonly world: WorldFile | WorldFileInput;
  readonly host?: string;
  /** Port of the AWS endpoint; 0 (default) picks a free one. */
  readonly awsPort?: number;
  /** Port of the Kubernetes endpoint; 0 (default) picks a free one. */
  readonly kubePort?: number;
}

export interface Simulator {
  /** `http://127.0.0.1:PORT`: STS, IAM, EKS and the control API under `/_sim/`. */
  readonly awsEndpoint: string;
  /** `https://127.0.0.1:PORT`: clusters are served under `/k8s/<id>`. */
  readonly kubeEndpoint: string;
  /** PEM of the CA that signed the Kubernetes endpoint's certificate (also in DescribeCluster). */
  readonly caPem: string;
  readonly world: World;
  readonly control: SimControl;
  /** Environment for a process that should act as the hub principal against this simulator. */
  env(region?: string): Record<string, string>;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 8 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function splitUrl(url: string | undefined): { rawPath: string; rawQuery: string } {
  const text = url ?? '/';
  const q = text.indexOf('?');
  return q < 0 ? { rawPath: text, rawQuery: '' } : { rawPath: text.slice(0, q), rawQuery: text.slice(q + 1) };
}

function internalError(res: ServerResponse, error: unknown): void {
  process.stderr.write(`simulator: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  if (!res.headersSent) {
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: 'simulator internal error' }));
  } else {
    res.destroy();
  }
}

async function listen(server: Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** A CA and a server certificate for 127.0.0.1 / localhost, signed by it. */
export async function makeCertificates(): Promise<{ caPem: string; key: string; cert: string }> {
  const ca = await generate([{ name: 'commonName', value: 'eks-auth-hub simulator CA' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const leaf = await generate([{ name: 'commonName', value: 'kubernetes' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  });
  return { caPem: ca.cert, key: leaf.private, cert: leaf.cert };
}

export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const host = options.host ?? '127.0.0.1';
  const file = worldSchema.parse(options.world);
  const world = new World(file);
  const faults = new Faults(file.seed);
  const counters = new Counters();
  const control = new SimControl(world, faults, counters);
  const hanging = new Set<ServerResponse>();
  const certificates = await makeCertificates();
  const caData = Buffer.from(certificates.caPem).toString('base64');
  let kubePort = 0;

  const aws = createHttpServer((req, res) => {
    const { rawPath, rawQuery } = splitUrl(req.url);
    readBody(req)
      .then(async (body) => {
        if (rawPath.startsWith('/_sim/')) return handleControlRequest(control, req.method ?? 'GET', rawPath, rawQuery, body, res);
        return handleAwsRequest(
          { world, faults, counters, kubeBaseUrl: () => `https://${host}:${kubePort}`, caData, hanging },
          { method: req.method ?? 'GET', rawPath, rawQuery, headers: req.headers, body },
          res,
        );
      })
      .catch((error: unknown) => internalError(res, error));
  });
  const kube = createHttpsServer({ key: certificates.key, cert: certificates.cert }, (req, res) => {
    const { rawPath, rawQuery } = splitUrl(req.url);
    readBody(req)
      .then((body) =>
        handleKubeRequest(
          { world, faults, counters, hanging, address: () => `${host}:${kubePort}` },
          { method: req.method ?? 'GET', rawPath, rawQuery, headers: req.headers, body },
          res,
        ),
      )
      .catch((error: unknown) => internalError(res, error));
  });
  for (const server of [aws, kube]) {
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 70_000;
  }

  const awsPort = await listen(aws, host, options.awsPort ?? 0);
  kubePort = await listen(kube, host, options.kubePort ?? 0);
  const awsEndpoint = `http://${host}:${awsPort}`;

  return {
    awsEndpoint,
    kubeEndpoint: `https://${host}:${kubePort}`,
    caPem: certificates.caPem,
    world,
    control,
    env(region = 'eu-west-1') {
      return {
        AWS_ENDPOINT_URL_STS: awsEndpoint,
        AWS_ENDPOINT_URL_IAM: awsEndpoint,
        AWS_ENDPOINT_URL_EKS: awsEndpoint,
        AWS_ACCESS_KEY_ID: world.hub.accessKeyId,
        AWS_SECRET_ACCESS_KEY: world.hub.secretAccessKey,
        AWS_REGION: region,
        // The AWS CLI v1 reads only this one (without it: "You must specify a region").
        AWS_DEFAULT_REGION: region,
        // The simulated API servers are not EKS hosts: the hub sends them a token only when told to.
        EKS_AUTH_HUB_ALLOWED_ENDPOINT_HOSTS: host,
      };
    },
    async close() {
      for (const res of hanging) res.socket?.destroy();
      hanging.clear();
      await Promise.all(
        [aws, kube].map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            }),
        ),
      );
    },
  };
}

/** Closes the simulator once on SIGINT or SIGTERM, then exits 0 (for the programs that run one). */
export function closeOnSignals(sim: Pick<Simulator, 'close'>): void {
  let closing = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (closing) return;
      closing = true;
      void sim.close().then(() => process.exit(0));
    });
  }
}
