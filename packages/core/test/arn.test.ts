import { describe, expect, it } from 'vitest';
import { formatIamArn, isRegion, parseIamArn, partitionOfRegion, stripRolePath } from '../src/arn.js';

describe('parseIamArn', () => {
  it.each([
    ['arn:aws:iam::111122223333:role/admin', { type: 'role', partition: 'aws', account: '111122223333', path: '/', name: 'admin' }],
    ['arn:aws-cn:iam::111122223333:role/a/b/admin', { type: 'role', partition: 'aws-cn', path: '/a/b/', name: 'admin' }],
    ['arn:aws-us-gov:iam::111122223333:user/ops/alice', { type: 'user', partition: 'aws-us-gov', path: '/ops/', name: 'alice' }],
    ['arn:aws:iam::111122223333:root', { type: 'root', account: '111122223333' }],
    ['arn:aws:iam::111122223333:role/a+b=c,d.e@f-g_h', { name: 'a+b=c,d.e@f-g_h' }],
  ])('accepts %s', (arn, expected) => {
    const parsed = parseIamArn(arn);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) {
      expect(parsed.arn).toMatchObject(expected);
      expect(formatIamArn(parsed.arn)).toBe(arn);
    }
  });

  it.each([
    ['arn:aws:sts::111122223333:assumed-role/admin/me', 'expected arn:<partition>:iam'],
    ['arn:aws-iso:iam::111122223333:role/x', 'unknown partition "aws-iso"'],
    ['arn:aws:iam::11112222333:role/x', 'must be 12 digits'],
    ['arn:aws:iam::$ACCOUNTID:role/x', 'must be 12 digits'],
    ['arn:aws:iam::111122223333:group/x', 'is not role/<name> or user/<name>'],
    ['arn:aws:iam::111122223333:role/', 'role name ""'],
    ['arn:aws:iam::111122223333:role/a b', 'printable ASCII'],
    ['arn:aws:iam::111122223333:role/аdmin', 'printable ASCII'],
    ['arn:aws:iam::111122223333:role//x', 'not a valid IAM path'],
    [`arn:aws:iam::111122223333:role/${'x'.repeat(65)}`, 'must be 1-64 characters'],
  ])('refuses %s', (arn, reason) => {
    const parsed = parseIamArn(arn);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toContain(reason);
  });

  it('accepts the placeholder only when allowed', () => {
    expect(parseIamArn('arn:aws:iam::$ACCOUNTID:role/x', { allowPlaceholder: true })).toMatchObject({
      ok: true,
      arn: { account: '$ACCOUNTID' },
    });
  });

  it('strips role paths and leaves other values alone', () => {
    expect(stripRolePath('arn:aws:iam::111122223333:role/eks/nodes/node-role')).toBe('arn:aws:iam::111122223333:role/node-role');
    expect(stripRolePath('arn:aws:iam::111122223333:user/ops/alice')).toBe('arn:aws:iam::111122223333:user/ops/alice');
    expect(stripRolePath('not an arn')).toBe('not an arn');
  });
});

describe('regions and partitions', () => {
  it.each([
    ['eu-west-1', 'aws'],
    ['ap-southeast-5', 'aws'],
    ['il-central-1', 'aws'],
    ['cn-north-1', 'aws-cn'],
    ['cn-northwest-1', 'aws-cn'],
    ['us-gov-west-1', 'aws-us-gov'],
    ['us-gov-east-1', 'aws-us-gov'],
  ])('%s is in %s', (region, partition) => {
    expect(isRegion(region)).toBe(true);
    expect(partitionOfRegion(region)).toBe(partition);
  });

  it.each(['europe', 'eu-west', 'EU-WEST-1', 'eu-west-0', 'eu_west_1', ''])('%s is not a region', (region) => {
    expect(isRegion(region)).toBe(false);
  });
});
