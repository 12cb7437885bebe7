/**
 * Where a cluster token may be sent. DescribeCluster names the API server's endpoint, and the hub
 * sends that server a bearer token that opens the cluster: so only an EKS API host of the cluster's
 * partition is accepted (`<id>.<zone>.<region>.eks.amazonaws.com`, `….eks.amazonaws.com.cn`, and
 * `.eks.<suffix>` for every other partition's DNS suffix, taken from the SDK's partition data).
 * Anything else fails that cluster with `eks.endpoint_not_allowed` before a token is made.
 *
 * A test bed whose API servers are elsewhere (the simulator, on 127.0.0.1) names its hosts in
 * EKS_AUTH_HUB_ALLOWED_ENDPOINT_HOSTS (comma-separated host names or addresses); nothing else is
 * ever allowed by default.
 */
import { partition } from '@aws-sdk/core/client';
import { HubError } from '@eks-auth-hub/core';

export const ALLOWED_ENDPOINT_HOSTS_ENV = 'EKS_AUTH_HUB_ALLOWED_ENDPOINT_HOSTS';

/** `[::1]` → `::1`, lower case: how a URL's host and a listed host are compared. */
function normalHost(host: string): string {
  return host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
}

/** The extra hosts named in EKS_AUTH_HUB_ALLOWED_ENDPOINT_HOSTS (none when unset). */
export function allowedHostsFromEnv(env: NodeJS.ProcessEnv = process.env): readonly string[] {
  return (env[ALLOWED_ENDPOINT_HOSTS_ENV] ?? '')
    .split(',')
    .map(normalHost)
    .filter((host) => host !== '');
}

/** The EKS API host suffix of the region's partition, e.g. `.eks.amazonaws.com`. */
export function eksHostSuffix(region: string): string {
  return `.eks.${partition(region).dnsSuffix}`;
}

/** Shown in a refusal: a hostile endpoint can be long. */
function shown(text: string): string {
  return JSON.stringify(text.length <= 120 ? text : `${text.slice(0, 117)}...`);
}

/**
 * Throws `eks.endpoint_not_allowed` unless `endpoint` is an `https://` URL (no user or password) whose
 * host is an EKS API host of the region's partition, or one of `extraHosts`.
 */
export function checkClusterEndpoint(endpoint: string, region: string, extraHosts: readonly string[], cluster: string): void {
  const refuse = (why: string): never => {
    throw new HubError(
      'terminal',
      'eks.endpoint_not_allowed',
      `eks:DescribeCluster ${cluster}: the endpoint ${shown(endpoint)} ${why}; no token was sent`,
    );
  };
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return refuse('is not a URL');
  }
  if (url.protocol !== 'https:') refuse('is not https');
  if (url.username !== '' || url.password !== '') refuse('carries a user name or password');
  const host = normalHost(url.hostname);
  if (extraHosts.includes(host)) return;
  const suffix = eksHostSuffix(region);
  // At least one label before the suffix, and only host-name characters: no `eks.amazonaws.com` itself.
  if (
    host.length > suffix.length &&
    host.endsWith(suffix) &&
    /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(host.slice(0, -suffix.length))
  )
    return;
  refuse(
    `is not an EKS API host of ${region}'s partition (*${suffix})${extraHosts.length === 0 ? '' : ` nor one of ${ALLOWED_ENDPOINT_HOSTS_ENV}`}`,
  );
}
