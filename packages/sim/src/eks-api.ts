/** The simulated EKS: clusters, node groups and Fargate profiles (list and describe), in REST-JSON. */
import type { ServerResponse } from 'node:http';
import { roleArn } from '@eks-auth-hub/core';
import { authorize } from './aws-authorize.js';
import { type AwsApiContext, decodeMarker, encodeMarker, type RawRequest, sendJson } from './aws-protocol.js';
import { parseRawQuery } from './sigv4.js';
import { SimError } from './sim-error.js';
import type { Cluster, Credential } from './world-model.js';

const EKS_ROUTES: readonly [RegExp, string][] = [
  [/^\/clusters$/, 'ListClusters'],
  [/^\/clusters\/([^/]+)$/, 'DescribeCluster'],
  [/^\/clusters\/([^/]+)\/node-groups$/, 'ListNodegroups'],
  [/^\/clusters\/([^/]+)\/node-groups\/([^/]+)$/, 'DescribeNodegroup'],
  [/^\/clusters\/([^/]+)\/fargate-profiles$/, 'ListFargateProfiles'],
  [/^\/clusters\/([^/]+)\/fargate-profiles\/([^/]+)$/, 'DescribeFargateProfile'],
];

export function eksRoute(method: string, rawPath: string): { operation: string; params: string[] } | undefined {
  if (method !== 'GET') return undefined;
  for (const [pattern, operation] of EKS_ROUTES) {
    const match = pattern.exec(rawPath);
    // Split first, then decode each segment: names may hold encoded characters.
    if (match !== null) return { operation, params: match.slice(1).map((s) => decodeURIComponent(s)) };
  }
  return undefined;
}

function paginate<T>(
  items: readonly T[],
  query: Record<string, string | string[]>,
  cap: number,
): { page: T[]; nextToken: string | undefined } {
  const maxText = query['maxResults'];
  const max = maxText === undefined ? cap : Number(maxText);
  if (!Number.isInteger(max) || max < 1 || max > 100)
    throw new SimError(400, 'InvalidParameterException', 'maxResults must be between 1 and 100');
  const tokenText = query['nextToken'];
  let start = 0;
  try {
    if (tokenText !== undefined) start = decodeMarker(String(tokenText));
  } catch {
    // EKS has no ValidationError: a token it did not issue is an invalid parameter.
    throw new SimError(400, 'InvalidParameterException', 'The nextToken provided is invalid.');
  }
  const size = Math.min(max, cap);
  const page = items.slice(start, start + size);
  return { page, nextToken: start + size < items.length ? encodeMarker(start + size) : undefined };
}

/** The resource an EKS operation is authorised on (what IAM names in a denial). */
function eksResource(partition: string, region: string, account: string, route: { operation: string; params: string[] }): string {
  const [cluster = '*', child = '*'] = route.params;
  const base = `arn:${partition}:eks:${region}:${account}`;
  if (route.operation === 'DescribeNodegroup') return `${base}:nodegroup/${cluster}/${child}/*`;
  if (route.operation === 'DescribeFargateProfile') return `${base}:fargateprofile/${cluster}/${child}/*`;
  return `${base}:cluster/${route.operation === 'ListClusters' ? '*' : cluster}`;
}

function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

export function handleEks(
  ctx: AwsApiContext,
  caller: Credential,
  region: string,
  route: { operation: string; params: string[] } | undefined,
  request: RawRequest,
  res: ServerResponse,
  requestId: string,
): void {
  if (route === undefined)
    throw new SimError(404, 'UnknownOperationException', `no EKS operation for ${request.method} ${request.rawPath}`);
  const world = ctx.world;
  authorize(world, caller, `eks:${route.operation}`, eksResource(world.partition, region, caller.account, route), 'rest-json');
  const query = parseRawQuery(request.rawQuery);
  const cap = world.settings.maxEksPageSize;
  const account = world.accounts.get(caller.account);
  const clusters = account === undefined ? [] : [...account.clusters.values()].filter((c) => c.region === region);
  const cluster = (): Cluster => {
    const name = route.params[0] ?? '';
    const found = clusters.find((c) => c.name === name);
    if (found === undefined) throw new SimError(404, 'ResourceNotFoundException', `No cluster found for name: ${name}.`);
    return found;
  };
  switch (route.operation) {
    case 'ListClusters': {
      const { page, nextToken } = paginate(
        clusters.map((c) => c.name),
        query,
        cap,
      );
      return sendJson(res, { clusters: page, ...(nextToken === undefined ? {} : { nextToken }) }, requestId);
    }
    case 'DescribeCluster': {
      const c = cluster();
      return sendJson(
        res,
        {
          cluster: {
            name: c.name,
            arn: c.arn,
            createdAt: epochSeconds(c.createdAt),
            version: c.version,
            endpoint: c.endpointOverride ?? `${ctx.kubeBaseUrl()}/k8s/${c.id}`,
            roleArn: roleArn(world.partition, c.account, 'eks-cluster-role'),
            status: 'ACTIVE',
            certificateAuthority: { data: ctx.caData },
            platformVersion: 'eks.1',
            accessConfig: { authenticationMode: c.authenticationMode, bootstrapClusterCreatorAdminPermissions: true },
            tags: {},
          },
        },
        requestId,
      );
    }
    case 'ListNodegroups': {
      const { page, nextToken } = paginate([...cluster().nodegroups.keys()], query, cap);
      return sendJson(res, { nodegroups: page, ...(nextToken === undefined ? {} : { nextToken }) }, requestId);
    }
    case 'DescribeNodegroup': {
      const c = cluster();
      const ng = c.nodegroups.get(route.params[1] ?? '');
      if (ng === undefined) throw new SimError(404, 'ResourceNotFoundException', `No node group found for name: ${route.params[1] ?? ''}.`);
      return sendJson(
        res,
        {
          nodegroup: {
            nodegroupName: ng.name,
            nodegroupArn: `arn:${world.partition}:eks:${c.region}:${c.account}:nodegroup/${c.name}/${ng.name}/${c.id.slice(0, 8)}`,
            clusterName: c.name,
            version: c.version,
            status: 'ACTIVE',
            nodeRole: ng.nodeRole,
            amiType: ng.amiType,
            createdAt: epochSeconds(ng.createdAt),
          },
        },
        requestId,
      );
    }
    case 'ListFargateProfiles': {
      const { page, nextToken } = paginate([...cluster().fargateProfiles.keys()], query, cap);
      return sendJson(res, { fargateProfileNames: page, ...(nextToken === undefined ? {} : { nextToken }) }, requestId);
    }
    case 'DescribeFargateProfile': {
      const c = cluster();
      const fp = c.fargateProfiles.get(route.params[1] ?? '');
      if (fp === undefined)
        throw new SimError(404, 'ResourceNotFoundException', `No Fargate Profile found with name: ${route.params[1] ?? ''}.`);
      return sendJson(
        res,
        {
          fargateProfile: {
            fargateProfileName: fp.name,
            fargateProfileArn: `arn:${world.partition}:eks:${c.region}:${c.account}:fargateprofile/${c.name}/${fp.name}/${c.id.slice(0, 8)}`,
            clusterName: c.name,
            podExecutionRoleArn: fp.podExecutionRoleArn,
            status: 'ACTIVE',
            createdAt: epochSeconds(fp.createdAt),
          },
        },
        requestId,
      );
    }
    default:
      throw new SimError(404, 'UnknownOperationException', `no EKS operation ${route.operation}`);
  }
}
