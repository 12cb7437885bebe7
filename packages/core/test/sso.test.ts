import { describe, expect, it } from 'vitest';
import { isSsoPath, permissionSetOfRoleName, SsoRoleIndex } from '../src/sso.js';
import type { IamRole } from '../src/world.js';

const ACCOUNT = '111122223333';
function role(roleName: string, path = '/aws-reserved/sso.amazonaws.com/'): IamRole {
  return {
    roleName,
    path,
    arn: `arn:aws:iam::${ACCOUNT}:role${path}${roleName}`,
    roleId: 'AROAEXAMPLE',
    createDate: '2025-01-01T00:00:00Z',
  };
}

describe('permissionSetOfRoleName', () => {
  it.each([
    ['AWSReservedSSO_Admin_0123456789abcdef', 'Admin'],
    ['AWSReservedSSO_Admin_ReadOnly_0123456789abcdef', 'Admin_ReadOnly'],
    ['AWSReservedSSO_Data.Eng+Ops@Pay=1,x-y_0123456789abcdef', 'Data.Eng+Ops@Pay=1,x-y'],
    ['AWSReservedSSO__0123456789abcdef_0123456789abcdef', '_0123456789abcdef'],
  ])('%s belongs to %s', (name, set) => {
    expect(permissionSetOfRoleName(name)).toBe(set);
  });

  it.each([
    'AWSReservedSSO_Admin_0123456789ABCDEF',
    'AWSReservedSSO_Admin_0123456789abcdeg',
    'AWSReservedSSO_Admin_0123456789abcde',
    'AWSReservedSSO_Admin_0123456789abcdef0',
    'AWSReservedSSO__0123456789abcdef',
    'awsreservedsso_Admin_0123456789abcdef',
    'Admin',
  ])('%s is not an Identity Center role name', (name) => {
    expect(permissionSetOfRoleName(name)).toBeUndefined();
  });
});

describe('isSsoPath', () => {
  it.each([
    ['/aws-reserved/sso.amazonaws.com/', true],
    ['/aws-reserved/sso.amazonaws.com/eu-west-1/', true],
    ['/aws-reserved/sso.amazonaws.com/us-gov-west-1/', true],
    ['/aws-reserved/sso.amazonaws.com/eu-west-1/extra/', false],
    ['/aws-reserved/sso.amazonaws.com/not-a-region/', false],
    ['/aws-reserved/sso.amazonaws.com', false],
    ['/', false],
    ['/aws-reserved/other/', false],
  ])('%s → %s', (path, expected) => {
    expect(isSsoPath(path)).toBe(expected);
  });
});

describe('SsoRoleIndex', () => {
  const index = new SsoRoleIndex(
    [
      role('AWSReservedSSO_Admin_ReadOnly_0123456789abcdef'),
      role('AWSReservedSSO_PowerUser_1111111111111111', '/aws-reserved/sso.amazonaws.com/eu-west-1/'),
      role('AWSReservedSSO_Twice_2222222222222222'),
      role('AWSReservedSSO_Twice_3333333333333333', '/aws-reserved/sso.amazonaws.com/eu-west-1/'),
      role('AWSReservedSSO_Outside_4444444444444444', '/'),
      role('plain-role', '/'),
    ],
    'aws-cn',
    ACCOUNT,
  );

  it('matches the exact name only', () => {
    expect(index.resolve('Admin')).toEqual({ status: 'unresolved', permissionSet: 'Admin' });
    expect(index.resolve('Admin_ReadOnly')).toMatchObject({
      status: 'resolved',
      roleName: 'AWSReservedSSO_Admin_ReadOnly_0123456789abcdef',
    });
    expect(index.resolve('admin_readonly')).toMatchObject({ status: 'unresolved' });
  });

  it('builds the ARN for the cluster partition, without the path', () => {
    expect(index.resolve('PowerUser')).toEqual({
      status: 'resolved',
      permissionSet: 'PowerUser',
      roleName: 'AWSReservedSSO_PowerUser_1111111111111111',
      roleArn: `arn:aws-cn:iam::${ACCOUNT}:role/AWSReservedSSO_PowerUser_1111111111111111`,
    });
  });

  it('reports ambiguity with every candidate and never guesses', () => {
    expect(index.resolve('Twice')).toEqual({
      status: 'ambiguous',
      permissionSet: 'Twice',
      candidates: [
        `arn:aws-cn:iam::${ACCOUNT}:role/AWSReservedSSO_Twice_2222222222222222`,
        `arn:aws-cn:iam::${ACCOUNT}:role/AWSReservedSSO_Twice_3333333333333333`,
      ],
    });
  });

  it('ignores roles outside the Identity Center paths', () => {
    expect(index.resolve('Outside').status).toBe('unresolved');
    expect(index.size).toBe(3);
  });
});

describe('did you mean', () => {
  const index = new SsoRoleIndex(
    ['Admin', 'AdministratorAccess', 'ReadOnly', 'ReadOnlyAccess', 'Data.Eng+Ops@Payments'].map((set, i) =>
      role(`AWSReservedSSO_${set}_${String(i).repeat(16)}`),
    ),
    'aws',
    ACCOUNT,
  );

  it.each([
    ['admin', ['Admin']],
    ['ADMIN', ['Admin']],
    ['Admn', ['Admin']],
    ['AdministratorAcess', ['AdministratorAccess']],
    ['administratoraccess', ['AdministratorAccess']],
    ['ReadOnlyAcces', ['ReadOnlyAccess']],
    ['Raedonly', ['ReadOnly']],
    ['data.eng+ops@payments', ['Data.Eng+Ops@Payments']],
  ])('suggests for %s: %j', (name, want) => {
    expect(index.resolve(name)).toEqual({ status: 'unresolved', permissionSet: name, didYouMean: want });
  });

  it.each(['Dev', 'Administrator', 'Read', 'PowerUser'])('suggests nothing for %s, which is not a near miss', (name) => {
    expect(index.resolve(name)).toEqual({ status: 'unresolved', permissionSet: name });
  });

  it('never resolves a near miss: names are compared exactly', () => {
    expect(index.resolve('admin').status).toBe('unresolved');
  });
});
