import { isRegion, partitionOfRegion } from '@eks-auth-hub/core';

/**
 * The regional STS host a cluster token is presigned for. The authenticator accepts regional hosts
 * of every partition (`sts.<region>.amazonaws.com`, `.amazonaws.com.cn` in China); the hub always
 * signs for the cluster's own region so tokens keep working when the global endpoint is not used.
 */
export function stsHostname(region: string): string {
  if (!isRegion(region)) throw new RangeError(`not a region: ${JSON.stringify(region)}`);
  return partitionOfRegion(region) === 'aws-cn' ? `sts.${region}.amazonaws.com.cn` : `sts.${region}.amazonaws.com`;
}
