/** When the service counts as stalled (`/healthz` 503): a pass past its deadline plus the grace, or no pass started for two intervals. */
import { describe, expect, it } from 'vitest';
import { stallOf } from '../src/stall.js';

const T0 = Date.UTC(2026, 0, 1);
const base = { now: T0, stopped: false, running: undefined, idleSince: T0, intervalMs: 600_000, graceMs: 30_000 };

describe('stallOf', () => {
  it('is live while a pass runs within its deadline plus the grace, stalled after it, since the deadline', () => {
    const running = { startedAt: T0, deadlineAt: T0 + 600_000 };
    expect(stallOf({ ...base, running, now: T0 + 630_000 })).toBeNull();
    expect(stallOf({ ...base, running, now: T0 + 630_001 })).toEqual({
      since: new Date(T0 + 600_000).toISOString(),
      reason: `the pass started at ${new Date(T0).toISOString()} is still running past its deadline (hub.passTimeout)`,
    });
  });

  it('is stalled when no pass has started for two intervals after the last one ended, since the next was due', () => {
    expect(stallOf({ ...base, now: T0 + 1_200_000 })).toBeNull();
    expect(stallOf({ ...base, now: T0 + 1_200_001 })).toMatchObject({ since: new Date(T0 + 600_000).toISOString() });
  });

  it('is never stalled while stopping', () => {
    expect(stallOf({ ...base, stopped: true, now: T0 + 10 * 600_000 })).toBeNull();
    expect(stallOf({ ...base, stopped: true, running: { startedAt: T0, deadlineAt: T0 + 1 }, now: T0 + 10 * 600_000 })).toBeNull();
  });
});
