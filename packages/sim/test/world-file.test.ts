import { describe, expect, it } from 'vitest';
import { generatedAccountId, generateWorld } from '../src/generate.js';
import { World } from '../src/world.js';
import { loadWorldFile, worldSchema } from '../src/world-schema.js';
import { demoWorld } from './helpers.js';

describe('world files', () => {
  it('the demo world has what the demo needs', () => {
    const world = new World(demoWorld());
    const clusters = [...world.clustersById.values()];
    expect(world.accounts.size - 1).toBeGreaterThanOrEqual(3);
    expect(clusters.length).toBeGreaterThanOrEqual(6);
    const amiTypes = clusters.flatMap((c) => [...c.nodegroups.values()].map((n) => n.amiType));
    expect(amiTypes.some((t) => t.startsWith('WINDOWS_'))).toBe(true);
    expect(amiTypes.some((t) => !t.startsWith('WINDOWS_'))).toBe(true);
    expect(clusters.some((c) => c.fargateProfiles.size > 0)).toBe(true);
    expect(clusters.some((c) => !c.configMaps.has('kube-system/aws-auth'))).toBe(true);
    const staging = world.cluster('111122223333', 'eu-west-1', 'payments-staging');
    expect(staging.configMaps.get('kube-system/aws-auth')?.data['mapUsers']).toContain('alice');
    const sso = [...world.account('111122223333').roles.values()].filter((r) => r.permissionSet !== undefined);
    expect(sso.map((r) => r.path)).toContain('/aws-reserved/sso.amazonaws.com/eu-west-1/');
    for (const role of sso) expect(role.name).toMatch(/^AWSReservedSSO_.+_[0-9a-f]{16}$/);
  });

  it('reports every problem with its location', () => {
    const text = `apiVersion: eks-auth-hub-sim/v1
management:
  account: 99998888777
  principal: { accessKeyId: AKIA1, secretAccessKey: short }
accounts:
  - id: "111122223333"
    clusters:
      - name: a
        region: moon-1
        colour: blue
`;
    const loaded = loadWorldFile(text, 'w.yaml');
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.issues.map((i) => [i.location.line, i.path])).toEqual([
      [3, 'management.account'],
      [4, 'management.principal.accessKeyId'],
      [4, 'management.principal.secretAccessKey'],
      [9, 'accounts[0].clusters[0].region'],
      [10, 'accounts[0].clusters[0].colour'],
    ]);
  });

  it('refuses duplicates', () => {
    const world = {
      apiVersion: 'eks-auth-hub-sim/v1',
      management: { account: '999988887777', principal: { accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: 'x'.repeat(40) } },
      accounts: [
        {
          id: '111122223333',
          roles: [{ name: 'a' }, { name: 'A' }],
          clusters: [
            { name: 'c', region: 'eu-west-1' },
            { name: 'c', region: 'eu-west-1' },
          ],
        },
        { id: '111122223333' },
      ],
    };
    const result = worldSchema.safeParse(world);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message)).toEqual([
      'cluster c appears twice in eu-west-1',
      'role A appears twice',
      'account 111122223333 appears twice',
    ]);
  });
});

describe('planted ConfigMaps', () => {
  const world = (configMaps: string): string => `apiVersion: eks-auth-hub-sim/v1
management:
  account: "999988887777"
  principal: { accessKeyId: AKIAAAAAAAAAAAAAAAAA, secretAccessKey: ${'x'.repeat(40)} }
accounts:
  - id: "111122223333"
    clusters:
      - name: c
        region: eu-west-1
        configMaps:
${configMaps}`;

  it('plants each manifest with every field it gives', () => {
    const text = world(`          - metadata:
              name: aws-auth
              namespace: kube-system
              labels: { team: platform }
              ownerReferences: [{ apiVersion: v1, kind: ConfigMap, name: seed, uid: 6c1f3a52-0d4b-4f8e-9a51-0f6c2b7e9d11 }]
              finalizers: [example.com/keep]
              managedFields: [{ manager: eksctl, operation: Update }]
            data: { mapRoles: "[]" }
            binaryData: { logo.png: iVBORw== }
            immutable: true
          - metadata: { name: empty }
            data: null
`);
    const loaded = loadWorldFile(text, 'w.yaml');
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
    const cluster = new World(loaded.world).cluster('111122223333', 'eu-west-1', 'c');
    expect(cluster.configMaps.get('kube-system/aws-auth')).toMatchObject({
      labels: { team: 'platform' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'seed', uid: '6c1f3a52-0d4b-4f8e-9a51-0f6c2b7e9d11' }],
      finalizers: ['example.com/keep'],
      managedFields: [{ manager: 'eksctl', operation: 'Update' }],
      data: { mapRoles: '[]' },
      binaryData: { 'logo.png': 'iVBORw==' },
      immutable: true,
    });
    expect(cluster.configMaps.get('default/empty')).toMatchObject({ data: {}, binaryData: {} });
  });

  it('refuses, located, what the API server would never have stored', () => {
    const text = world(`          - metadata: { name: a, namespace: kube-system }
            data: { "bad key": x, mapRoles: y }
            binaryData: { mapRoles: eA==, blob: "eA" }
          - metadata: { name: a, namespace: kube-system }
            data: { big: "${'x'.repeat(100)}" }
`);
    const loaded = loadWorldFile(text, 'w.yaml');
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.issues.map((i) => [i.location.line, i.path, i.message])).toEqual([
      [
        12,
        'accounts[0].clusters[0].configMaps[0].data.bad key',
        expect.stringContaining('a valid config key must consist of alphanumeric characters'),
      ],
      [
        12,
        'accounts[0].clusters[0].configMaps[0].data.mapRoles',
        'the API server would refuse it: data[mapRoles]: Invalid value: "mapRoles": duplicate of key present in binaryData',
      ],
      [13, 'accounts[0].clusters[0].configMaps[0].binaryData.blob', 'not standard base64: illegal base64 data at input byte 0'],
      [14, 'accounts[0].clusters[0].configMaps[1].metadata.name', 'ConfigMap kube-system/a appears twice'],
    ]);
  });
});

describe('generated worlds', () => {
  it('are the same for the same seed and differ for another', () => {
    const a = new World(worldSchema.parse(generateWorld({ accounts: 3, clustersPerAccount: 4, ssoRolesPerAccount: 5, seed: 9 })));
    const b = new World(worldSchema.parse(generateWorld({ accounts: 3, clustersPerAccount: 4, ssoRolesPerAccount: 5, seed: 9 })));
    const c = new World(worldSchema.parse(generateWorld({ accounts: 3, clustersPerAccount: 4, ssoRolesPerAccount: 5, seed: 10 })));
    const names = (w: World): string[] => [...w.account(generatedAccountId(1)).roles.keys()];
    expect(names(a)).toEqual(names(b));
    expect(names(a)).not.toEqual(names(c));
  });

  it('have the requested size', () => {
    const world = new World(worldSchema.parse(generateWorld({ accounts: 20, clustersPerAccount: 5, ssoRolesPerAccount: 40, seed: 1 })));
    expect(world.clustersById.size).toBe(100);
    expect(world.accounts.size).toBe(21);
    const sso = [...world.account(generatedAccountId(7)).roles.values()].filter((r) => r.permissionSet !== undefined);
    expect(sso).toHaveLength(40);
  });

  it('reassigning gives a new suffix and removes the old role', () => {
    const world = new World(worldSchema.parse(generateWorld({ accounts: 1, clustersPerAccount: 1, ssoRolesPerAccount: 2, seed: 1 })));
    const account = generatedAccountId(0);
    const [before] = world.permissionSetRoles(account, 'ReadOnly');
    const { removed, created } = world.reassignPermissionSet(account, 'ReadOnly');
    expect(removed).toEqual([before]);
    expect(created.name).not.toBe(before?.name);
    expect(created.path).toBe(before?.path);
    expect(world.permissionSetRoles(account, 'ReadOnly')).toEqual([created]);
  });

  it('provisioning keeps the role and its suffix', () => {
    const world = new World(worldSchema.parse(generateWorld({ accounts: 1, clustersPerAccount: 1, ssoRolesPerAccount: 2, seed: 1 })));
    const account = generatedAccountId(0);
    const before = world.permissionSetRoles(account, 'ReadOnly');
    expect(before).toHaveLength(1);
    expect(world.provisionPermissionSet(account, 'ReadOnly')).toEqual(before);
    expect(world.permissionSetRoles(account, 'ReadOnly')).toEqual(before);
  });
});
