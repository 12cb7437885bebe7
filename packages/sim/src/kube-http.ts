/**
 * What the simulated Kubernetes API servers share: the request and context they are handed, the
 * route a request resolves to, and Kubernetes `Status` refusals and JSON answers.
 */
import type { ServerResponse } from 'node:http';
import type { Counters, Faults } from './faults.js';
import { httpDate } from './http-date.js';
import type { World } from './world.js';
import type { Cluster } from './world-model.js';

export interface KubeApiContext {
  readonly world: World;
  readonly faults: Faults;
  readonly counters: Counters;
  readonly hanging: Set<ServerResponse>;
  /** host:port the listener answers on, for discovery. */
  readonly address: () => string;
}

export interface KubeRequest {
  readonly method: string;
  readonly rawPath: string;
  readonly rawQuery: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

/**
 * A Kubernetes `Status` refusal, thrown within this module and always caught by `handleKubeRequest`,
 * which answers with it. No Error: its stack would never be looked at, and capturing one costs more
 * than the rest of a 404.
 */
export class StatusError {
  constructor(
    readonly code: number,
    readonly reason: string,
    readonly message: string,
    readonly details?: Record<string, unknown>,
  ) {}
}

export function send(res: ServerResponse, status: number, value: unknown): void {
  sendBody(res, status, JSON.stringify(value));
}

export function sendBody(res: ServerResponse, status: number, body: string | Buffer): void {
  // The Date header from the same clock the simulator judges signatures and tokens by (clients correct skew with it).
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-cache, private',
    date: httpDate(),
  });
  res.end(body);
}

export function sendStatus(res: ServerResponse, error: StatusError): void {
  send(res, error.code, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: error.message,
    reason: error.reason,
    ...(error.details === undefined ? {} : { details: error.details }),
    code: error.code,
  });
}

export type Verb = 'get' | 'list' | 'create' | 'update' | 'patch' | 'delete' | 'discovery';

export interface Route {
  readonly cluster: Cluster;
  readonly verb: Verb;
  readonly namespace?: string;
  readonly name?: string;
  readonly discovery?: 'api' | 'apis' | 'v1' | 'version';
}
