/** Which API server hosts may receive a cluster token: the partition's EKS hosts, and only the extra hosts named. */

import { HubError } from '@eks-auth-hub/core';
import { describe, expect, it } from 'vitest';
import { allowedHostsFromEnv, checkClusterEndpoint, eksHostSuffix } from '../src/endpoint-hosts.js';

function refusal(endpoint: string, region: string, extra: readonly string[] = []): string | undefined {
  try {
    checkClusterEndpoint(endpoint, region, extra, 'c');
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(HubError);
    expect((error as HubError).code).toBe('eks.endpoint_not_allowed');
    return (error as HubError).message;
  }
}

describe('checkClusterEndpoint', () => {
  it.each([
    ['https://A95FF2D0F3A6A1B4E9B3A6C2D1E4F5A6.gr7.eu-west-1.eks.amazonaws.com', 'eu-west-1'],
    ['https://0123456789abcdef.yl4.us-gov-west-1.eks.amazonaws.com', 'us-gov-west-1'],
    ['https://0123456789abcdef.yl4.cn-north-1.eks.amazonaws.com.cn', 'cn-north-1'],
    ['https://0123456789abcdef.sk1.us-iso-east-1.eks.c2s.ic.gov', 'us-iso-east-1'],
    ['https://0123456789ABCDEF.GR7.EU-WEST-1.EKS.AMAZONAWS.COM:443/', 'eu-west-1'],
  ])('accepts %s (%s)', (endpoint, region) => {
    expect(refusal(endpoint, region)).toBeUndefined();
  });

  it.each([
    ['https://127.0.0.1:8443/k8s/x', 'eu-west-1', 'is not an EKS API host'],
    ['https://attacker.example', 'eu-west-1', 'is not an EKS API host'],
    ['https://x.eks.amazonaws.com.attacker.example', 'eu-west-1', 'is not an EKS API host'],
    ['https://xeks.amazonaws.com', 'eu-west-1', 'is not an EKS API host'],
    ['https://eks.amazonaws.com', 'eu-west-1', 'is not an EKS API host'],
    // Another partition's host: China's clusters are under .amazonaws.com.cn only, and the reverse.
    ['https://x.gr7.cn-north-1.eks.amazonaws.com', 'cn-north-1', 'is not an EKS API host'],
    ['https://x.gr7.eu-west-1.eks.amazonaws.com.cn', 'eu-west-1', 'is not an EKS API host'],
    ['http://x.gr7.eu-west-1.eks.amazonaws.com', 'eu-west-1', 'is not https'],
    ['https://user:pw@x.gr7.eu-west-1.eks.amazonaws.com', 'eu-west-1', 'carries a user name or password'],
    ['not a url', 'eu-west-1', 'is not a URL'],
  ])('refuses %s (%s): %s', (endpoint, region, why) => {
    const message = refusal(endpoint, region);
    expect(message).toContain(why);
    expect(message).toContain('no token was sent');
  });

  it('a refusal is bounded however long the endpoint', () => {
    expect(refusal(`https://${'a'.repeat(100_000)}.example`, 'eu-west-1')?.length).toBeLessThan(400);
  });

  it('extra hosts are allowed exactly, nothing else by them', () => {
    expect(refusal('https://127.0.0.1:8443/k8s/x', 'eu-west-1', ['127.0.0.1'])).toBeUndefined();
    expect(refusal('https://[::1]:8443/k8s/x', 'eu-west-1', ['::1'])).toBeUndefined();
    expect(refusal('https://127.0.0.2:8443/k8s/x', 'eu-west-1', ['127.0.0.1'])).toContain('nor one of EKS_AUTH_HUB_ALLOWED_ENDPOINT_HOSTS');
  });

  it('reads the extra hosts from the setting; none when it is unset or empty', () => {
    expect(allowedHostsFromEnv({})).toEqual([]);
    expect(allowedHostsFromEnv({ EKS_AUTH_HUB_ALLOWED_ENDPOINT_HOSTS: '' })).toEqual([]);
    expect(allowedHostsFromEnv({ EKS_AUTH_HUB_ALLOWED_ENDPOINT_HOSTS: ' 127.0.0.1 , Sim.Local,[::1]' })).toEqual([
      '127.0.0.1',
      'sim.local',
      '::1',
    ]);
  });

  it('takes the suffixes from the SDK partition data', () => {
    expect(eksHostSuffix('eu-west-1')).toBe('.eks.amazonaws.com');
    expect(eksHostSuffix('cn-northwest-1')).toBe('.eks.amazonaws.com.cn');
  });
});
