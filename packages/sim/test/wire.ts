/** Small helpers for the wire tests: catching errors, reading Kubernetes Status bodies, control calls. */

import { DescribeClusterCommand } from '@aws-sdk/client-eks';
import * as k8s from '@kubernetes/client-node';
import { expect } from 'vitest';
import type { Simulator } from '../src/simulator.js';
import { type Creds, clusterToken, eks, kubeClient } from './helpers.js';

/** The error `promise` rejects with; fails the test when it resolves. */
export async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** An SDK service error as the tests look at it. */
export interface SdkError {
  readonly name: string;
  readonly message: string;
  readonly $fault?: string;
  readonly $metadata: { readonly httpStatusCode?: number; readonly requestId?: string };
}

/** Asserts `error` is an SDK service error named `name` with HTTP status `status`. */
export function expectSdkError(error: unknown, name: string, status: number): SdkError {
  expect(error).toBeInstanceOf(Error);
  const e = error as SdkError;
  expect(e.name).toBe(name);
  expect(e.$metadata?.httpStatusCode).toBe(status);
  return e;
}

export interface KubeStatus {
  readonly kind: string;
  readonly apiVersion: string;
  readonly status: string;
  readonly message: string;
  readonly reason: string;
  readonly code: number;
  readonly details?: { readonly name?: string; readonly kind?: string };
}

/**
 * Asserts `error` is client-node's 401 ApiException. client-node knows 401 from the OpenAPI spec and
 * throws it with the message "Unauthorized" and no body (it keeps raw bodies only for codes the spec
 * does not list).
 */
export function expectUnauthorized(error: unknown): void {
  expect(error).toBeInstanceOf(k8s.ApiException);
  const e = error as k8s.ApiException<unknown>;
  expect(e.code).toBe(401);
  expect(e.message).toContain('Unauthorized');
}

/** Asserts `error` is client-node's ApiException with `code`, and returns its parsed Status body. */
export function expectStatus(error: unknown, code: number, reason: string): KubeStatus {
  expect(error).toBeInstanceOf(k8s.ApiException);
  const e = error as k8s.ApiException<unknown>;
  expect(e.code).toBe(code);
  expect(typeof e.body).toBe('string');
  const status = JSON.parse(e.body as string) as KubeStatus;
  expect(status).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code });
  return status;
}

/** The endpoint DescribeCluster reports for a cluster (asked with `creds` in `region`). */
export async function clusterEndpoint(sim: Simulator, creds: Creds, region: string, name: string): Promise<string> {
  const out = await eks(sim, creds, region).send(new DescribeClusterCommand({ name }));
  const endpoint = out.cluster?.endpoint;
  if (endpoint === undefined) throw new Error(`no endpoint for ${name}`);
  return endpoint;
}

/** A CoreV1Api for `cluster` with a freshly minted token of `creds`. */
export async function freshClient(
  sim: Simulator,
  endpoint: string,
  creds: Creds,
  cluster: string,
  region = 'eu-west-1',
): Promise<k8s.CoreV1Api> {
  return kubeClient(endpoint, sim.caPem, await clusterToken(creds, cluster, { region }));
}

/** A CoreV1Api that sends no credentials at all. */
export function anonymousClient(server: string, caPem: string): k8s.CoreV1Api {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, caData: Buffer.from(caPem).toString('base64'), skipTLSVerify: false }],
    users: [{ name: 'anonymous' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'anonymous' }],
    currentContext: 'ctx',
  });
  return kc.makeApiClient(k8s.CoreV1Api);
}

/** Reads kube-system/aws-auth. */
export function readAwsAuth(api: k8s.CoreV1Api): Promise<k8s.V1ConfigMap> {
  return api.readNamespacedConfigMap({ name: 'aws-auth', namespace: 'kube-system' });
}

/** One mapRoles entry in YAML. */
export function roleEntry(rolearn: string, username: string, groups: readonly string[]): string {
  return `- rolearn: ${rolearn}\n  username: ${username}\n  groups:\n${groups.map((g) => `    - ${g}\n`).join('')}`;
}

/** A JSON call to the control API over HTTP. */
export async function control(sim: Simulator, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${sim.awsEndpoint}/_sim/${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: response.status, json: (await response.json()) as unknown };
}
