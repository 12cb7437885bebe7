/**
 * Cluster tokens' readings kept by token text: a token's form is read once, while the clock, the
 * credential, its session token and the signature (for the cluster asked about) are checked on every
 * request; verdicts are those of a reader that keeps nothing; the reader keeps no more than its bounds.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TokenReader, verifyToken } from '../src/authenticator.js';
import { World } from '../src/world.js';
import type { Credential } from '../src/world-model.js';
import { worldSchema } from '../src/world-schema.js';
import { clusterToken } from './helpers.js';

const ACCOUNT = '111122223333';

function world(): { world: World; session: Credential } {
  const w = new World(
    worldSchema.parse({
      apiVersion: 'eks-auth-hub-sim/v1',
      management: {
        account: '999900000000',
        principal: { userName: 'hub', accessKeyId: 'AKIAHUB0000000000000', secretAccessKey: 'hubSecretKeyForTheTokenReaderTests000000' },
      },
      accounts: [{ id: ACCOUNT, roles: [{ name: 'spoke' }], clusters: [{ name: 'prod', region: 'eu-west-1' }] }],
    }),
  );
  const role = w.accounts.get(ACCOUNT)?.roles.get('spoke');
  if (role === undefined) throw new Error('no role');
  return { world: w, session: w.issueSession(role, ACCOUNT, 'hub', 3600) };
}

describe('token reader', () => {
  it('reads a token once and checks clock, credential and signature every time', async () => {
    const { world: w, session } = world();
    const reader = new TokenReader();
    const token = await clusterToken(session, 'prod');
    for (let i = 0; i < 50; i++) expect(verifyToken(token, 'prod', w, reader).ok).toBe(true);
    expect(reader.reads).toBe(1);
    // The signature covers the cluster name the server asks for: another cluster refuses it.
    expect(verifyToken(token, 'staging', w, reader)).toEqual({ ok: false, reason: 'STS: SignatureDoesNotMatch' });
    // The clock moves on: the same reading, now too old.
    w.clockOffsetMs += 16 * 60 * 1000;
    expect(verifyToken(token, 'prod', w, reader)).toEqual({ ok: false, reason: 'token is expired' });
    w.clockOffsetMs = 0;
    expect(verifyToken(token, 'prod', w, reader).ok).toBe(true);
    // The session goes: unknown key.
    w.credentials.delete(session.accessKeyId);
    expect(verifyToken(token, 'prod', w, reader)).toEqual({ ok: false, reason: 'STS: InvalidClientTokenId' });
    expect(reader.reads).toBe(1);
  });

  it('refuses an expired session with a token it has read before', async () => {
    const { world: w, session } = world();
    const reader = new TokenReader();
    const token = await clusterToken(session, 'prod', { signingDate: new Date(Date.now() + 3_590_000), expiresIn: 60 });
    w.clockOffsetMs = 2_600_000;
    expect(verifyToken(token, 'prod', w, reader)).toEqual({ ok: false, reason: 'token is not yet valid' });
    w.clockOffsetMs = 3_595_000;
    expect(verifyToken(token, 'prod', w, reader).ok).toBe(true);
    w.clockOffsetMs = 3_605_000;
    expect(verifyToken(token, 'prod', w, reader)).toEqual({ ok: false, reason: 'STS: ExpiredToken' });
    expect(reader.reads).toBe(1);
  });

  it('gives the verdicts of a reader that keeps nothing, for tokens altered anywhere', async () => {
    const { world: w, session } = world();
    const good = await clusterToken(session, 'prod');
    const other = await clusterToken({ ...session, secretAccessKey: 'not-the-secret' }, 'prod');
    const shared = new TokenReader({ maxEntries: 8 });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(good, other),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom('A', 'z', '0', '-', '_', '=', '.', '')), { maxLength: 3 }),
        fc.constantFrom('prod', 'staging'),
        async (base, edits, cluster) => {
          let token = base;
          for (const [at, c] of edits) {
            const i = at % token.length;
            token = token.slice(0, i) + c + token.slice(i + 1);
          }
          expect(verifyToken(token, cluster, w, shared)).toEqual(verifyToken(token, cluster, w, new TokenReader()));
        },
      ),
      { numRuns: 400 },
    );
    expect(shared.size).toBeLessThanOrEqual(8);
  });

  it('keeps at most its entries and characters, never a token too long to accept, and forgets on clear', async () => {
    const { world: w, session } = world();
    const reader = new TokenReader({ maxEntries: 3 });
    const tokens = await Promise.all(Array.from({ length: 6 }, (_, i) => clusterToken(session, 'prod', { expiresIn: 60 + i })));
    for (const token of tokens) expect(verifyToken(token, 'prod', w, reader).ok).toBe(true);
    expect(reader.size).toBe(3);
    expect(reader.reads).toBe(6);
    verifyToken(tokens[5] ?? '', 'prod', w, reader);
    expect(reader.reads).toBe(6);
    verifyToken(tokens[0] ?? '', 'prod', w, reader);
    expect(reader.reads).toBe(7);
    const long = `k8s-aws-v1.${'A'.repeat(5000)}`;
    expect(verifyToken(long, 'prod', w, reader)).toEqual({ ok: false, reason: 'token is too large' });
    expect(verifyToken(long, 'prod', w, reader)).toEqual({ ok: false, reason: 'token is too large' });
    expect(reader.reads).toBe(9);
    const small = new TokenReader({ maxChars: (tokens[0] ?? '').length * 2 });
    for (const token of tokens) verifyToken(token, 'prod', w, small);
    expect(small.size).toBeLessThanOrEqual(2);
    reader.clear();
    expect(reader.size).toBe(0);
  });
});
