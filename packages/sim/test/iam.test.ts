/** IAM ListRoles over the wire: PathPrefix, Marker/IsTruncated paging under a small page cap, MaxItems bounds, the signer's account. */

import { type IAMClient, ListRolesCommand, type Role } from '@aws-sdk/client-iam';
import { useSimulator } from '@eks-auth-hub/testing/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import type { WorldFileInput } from '../src/world-schema.js';
import { assumeSpoke, type Creds, demoWorld, hubCreds, iam } from './helpers.js';
import { caught, expectSdkError } from './wire.js';

const PAYMENTS = '111122223333';
const ANALYTICS = '444455556666';
const SSO_PATH = '/aws-reserved/sso.amazonaws.com/';
const BULK = 13;

/** The demo world with a ListRoles page cap of 2 and 13 extra roles in the payments account. */
function world(): WorldFileInput {
  const base = demoWorld();
  return {
    ...base,
    settings: { ...base.settings, maxListRolesPageSize: 2 },
    accounts: base.accounts.map((account) =>
      account.id === PAYMENTS
        ? {
            ...account,
            roles: [
              ...account.roles,
              ...Array.from({ length: BULK }, (_, i) => ({ name: `bulk-${String(i).padStart(2, '0')}`, path: '/bulk/' })),
            ],
          }
        : account,
    ),
  };
}

const h = useSimulator(world, { env: false });
let payments: Creds;
let analytics: Creds;
beforeAll(async () => {
  payments = await assumeSpoke(h.sim, PAYMENTS);
  analytics = await assumeSpoke(h.sim, ANALYTICS);
});

interface Page {
  readonly roles: Role[];
  readonly truncated: boolean;
}

/** Every page of ListRoles, following Marker while IsTruncated. */
async function allPages(client: IAMClient, input: { PathPrefix?: string; MaxItems?: number } = {}): Promise<Page[]> {
  const pages: Page[] = [];
  let marker: string | undefined;
  for (let i = 0; i < 100; i++) {
    const out = await client.send(new ListRolesCommand({ ...input, ...(marker === undefined ? {} : { Marker: marker }) }));
    pages.push({ roles: out.Roles ?? [], truncated: out.IsTruncated === true });
    if (out.IsTruncated !== true) {
      expect(out.Marker).toBeUndefined();
      return pages;
    }
    expect(out.Marker).toEqual(expect.any(String));
    marker = out.Marker;
  }
  throw new Error('ListRoles never stopped paging');
}

const names = (pages: readonly Page[]): string[] => pages.flatMap((p) => p.roles.map((r) => r.RoleName ?? ''));

describe('ListRoles', () => {
  it('pages through every role exactly once under the page cap', async () => {
    const pages = await allPages(iam(h.sim, payments), { MaxItems: 1000 });
    const expected = [...h.sim.world.account(PAYMENTS).roles.values()].map((r) => r.name);
    expect(expected.length).toBe(7 + 4 + BULK);
    const listed = names(pages);
    expect(new Set(listed).size).toBe(listed.length);
    expect([...listed].sort()).toEqual([...expected].sort());
    for (const page of pages) expect(page.roles.length).toBeLessThanOrEqual(2);
    expect(pages.length).toBe(Math.ceil(expected.length / 2));
    expect(pages.slice(0, -1).every((p) => p.truncated)).toBe(true);
  });

  it('returns the fields of each role', async () => {
    const pages = await allPages(iam(h.sim, payments), { PathPrefix: '/eks/' });
    const [role] = pages.flatMap((p) => p.roles);
    expect(role).toMatchObject({ RoleName: 'payments-node', Path: '/eks/', Arn: `arn:aws:iam::${PAYMENTS}:role/eks/payments-node` });
    expect(role?.RoleId).toMatch(/^AROA[A-Z2-7]{17}$/);
    expect(role?.CreateDate).toBeInstanceOf(Date);
  });

  it('honours a MaxItems smaller than the cap', async () => {
    const pages = await allPages(iam(h.sim, payments), { PathPrefix: '/bulk/', MaxItems: 1 });
    expect(pages).toHaveLength(BULK);
    for (const page of pages) expect(page.roles).toHaveLength(1);
    expect(names(pages)).toEqual(Array.from({ length: BULK }, (_, i) => `bulk-${String(i).padStart(2, '0')}`));
  });

  it('matches PathPrefix as a prefix, covering the regional Identity Center path', async () => {
    const sso = await allPages(iam(h.sim, payments), { PathPrefix: SSO_PATH });
    const roles = sso.flatMap((p) => p.roles);
    expect(roles.map((r) => r.RoleName).sort()).toEqual(
      ['AdministratorAccess', 'Data.Eng+Ops@Payments', 'PowerUserAccess', 'ReadOnly'].map((s) =>
        expect.stringMatching(new RegExp(`^AWSReservedSSO_${s.replace(/[.+]/g, '\\$&')}_[0-9a-f]{16}$`)),
      ),
    );
    expect(roles.find((r) => r.RoleName?.startsWith('AWSReservedSSO_ReadOnly_'))?.Path).toBe(`${SSO_PATH}eu-west-1/`);
    const regional = names(await allPages(iam(h.sim, payments), { PathPrefix: `${SSO_PATH}eu-west-1/` }));
    expect(regional).toEqual([expect.stringMatching(/^AWSReservedSSO_ReadOnly_[0-9a-f]{16}$/)]);
    // A partial segment is still a prefix.
    expect(names(await allPages(iam(h.sim, payments), { PathPrefix: '/bu' }))).toHaveLength(BULK);
    expect(names(await allPages(iam(h.sim, payments), { PathPrefix: '/nothing-here/' }))).toEqual([]);
  });

  it('refuses MaxItems outside 1..1000', async () => {
    for (const MaxItems of [0, 1001]) {
      const error = await caught(iam(h.sim, payments).send(new ListRolesCommand({ MaxItems })));
      const e = expectSdkError(error, 'ValidationError', 400);
      expect(e.message).toContain('maxItems');
    }
  });

  it('refuses a Marker it did not issue', async () => {
    const error = await caught(iam(h.sim, payments).send(new ListRolesCommand({ Marker: 'not-a-marker' })));
    expectSdkError(error, 'ValidationError', 400);
  });

  it('lists the roles of the account the signer acts in', async () => {
    const a = names(await allPages(iam(h.sim, payments)));
    const b = names(await allPages(iam(h.sim, analytics)));
    expect(a).toContain('payments-node');
    expect(a).not.toContain('analytics-node');
    expect(b).toContain('analytics-node');
    expect(b).not.toContain('payments-node');
    expect(b.some((n) => n.startsWith('bulk-'))).toBe(false);
    expect([...b].sort()).toEqual([...h.sim.world.account(ANALYTICS).roles.values()].map((r) => r.name).sort());
    // The hub user acts in the management account, which holds no roles here.
    expect(names(await allPages(iam(h.sim, hubCreds(h.sim))))).toEqual([]);
  });
});
