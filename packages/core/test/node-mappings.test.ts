import { describe, expect, it } from 'vitest';
import { isNodeEntry, isWindowsAmiType, nodeMappings } from '../src/node-mappings.js';

const ARN = 'arn:aws:iam::111122223333:role';

describe('nodeMappings', () => {
  it('maps Linux, Windows and Fargate node roles like EKS does', () => {
    const { entries, warnings } = nodeMappings([
      { kind: 'nodegroup', name: 'linux', roleArn: `${ARN}/linux-node`, amiType: 'AL2023_x86_64_STANDARD' },
      { kind: 'nodegroup', name: 'win', roleArn: `${ARN}/win-node`, amiType: 'WINDOWS_CORE_2022_x86_64' },
      { kind: 'fargate', name: 'fp', roleArn: `${ARN}/pod-exec` },
      { kind: 'extra', roleArn: `${ARN}/karpenter` },
    ]);
    expect(warnings).toEqual([]);
    expect(entries).toEqual([
      {
        kind: 'role',
        rolearn: `${ARN}/karpenter`,
        username: 'system:node:{{EC2PrivateDNSName}}',
        groups: ['system:bootstrappers', 'system:nodes'],
      },
      {
        kind: 'role',
        rolearn: `${ARN}/linux-node`,
        username: 'system:node:{{EC2PrivateDNSName}}',
        groups: ['system:bootstrappers', 'system:nodes'],
      },
      {
        kind: 'role',
        rolearn: `${ARN}/pod-exec`,
        username: 'system:node:{{SessionName}}',
        groups: ['system:bootstrappers', 'system:nodes', 'system:node-proxier'],
      },
      {
        kind: 'role',
        rolearn: `${ARN}/win-node`,
        username: 'system:node:{{EC2PrivateDNSName}}',
        groups: ['system:bootstrappers', 'system:nodes', 'eks:kube-proxy-windows'],
      },
    ]);
  });

  it('merges a role shared by Linux and Windows node groups, and strips paths', () => {
    const { entries } = nodeMappings([
      { kind: 'nodegroup', name: 'a', roleArn: `${ARN}/eks/shared`, amiType: 'AL2_x86_64' },
      { kind: 'nodegroup', name: 'b', roleArn: `${ARN}/shared`, amiType: 'WINDOWS_FULL_2019_x86_64' },
    ]);
    expect(entries).toEqual([
      {
        kind: 'role',
        rolearn: `${ARN}/shared`,
        username: 'system:node:{{EC2PrivateDNSName}}',
        groups: ['system:bootstrappers', 'system:nodes', 'eks:kube-proxy-windows'],
      },
    ]);
  });

  it('warns when one role serves EC2 nodes and Fargate', () => {
    const { entries, warnings } = nodeMappings([
      { kind: 'fargate', name: 'fp', roleArn: `${ARN}/both` },
      { kind: 'nodegroup', name: 'ng', roleArn: `${ARN}/both`, amiType: 'BOTTLEROCKET_x86_64' },
    ]);
    expect(entries[0]?.username).toBe('system:node:{{EC2PrivateDNSName}}');
    expect(warnings).toHaveLength(1);
  });

  it('is independent of input order', () => {
    const sources = [
      { kind: 'nodegroup' as const, name: 'a', roleArn: `${ARN}/b`, amiType: 'AL2_x86_64' },
      { kind: 'nodegroup' as const, name: 'b', roleArn: `${ARN}/a`, amiType: 'WINDOWS_CORE_2019_x86_64' },
    ];
    expect(nodeMappings(sources)).toEqual(nodeMappings([...sources].reverse()));
  });

  it('recognises Windows AMI types and node entries', () => {
    expect(isWindowsAmiType('WINDOWS_CORE_2022_x86_64')).toBe(true);
    expect(isWindowsAmiType('AL2023_ARM_64_STANDARD')).toBe(false);
    expect(isNodeEntry({ kind: 'role', rolearn: `${ARN}/x`, username: 'x', groups: ['system:nodes'] })).toBe(true);
    expect(isNodeEntry({ kind: 'role', rolearn: `${ARN}/x`, username: 'x', groups: ['system:masters'] })).toBe(false);
  });
});
