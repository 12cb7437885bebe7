/**
 * The Lambda handler ends its pass before the function's timeout: with every call hanging (a
 * request timeout of minutes), an invocation with 7 s left ends the pass before Lambda would kill
 * it, and reports the clusters it did not reach instead of being killed mid-write.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHandler } from '../../src/lambda.js';
import { demoHubText, demoState, memoryLogger, simCount, useSimulator } from './helpers.js';

const h = useSimulator();

describe('Lambda handler and the function timeout', () => {
  it('ends the pass before the function times out and names every cluster it did not reach', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'hub-lambda-')), 'hub.yaml');
    writeFileSync(file, demoHubText().replace('  interval: 1m\n', '  interval: 1m\n  requestTimeout: 5m\n'));
    h.sim.control.setFault('sts:AssumeRole', { hangRate: 1 });
    const lines: string[] = [];
    const log = memoryLogger('debug');
    const handler = createHandler({ configFile: () => file, emit: (l) => lines.push(l), logger: log.logger });
    const before = simCount(h.sim, 'sts:AssumeRole', 'hang');
    // Lambda's context: 7 s left at the start of the invocation.
    const invoked = Date.now();
    const context = { getRemainingTimeInMillis: () => 7_000 - (Date.now() - invoked) };
    const error = await handler({ 'detail-type': 'Scheduled Event', source: 'aws.events' }, context).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(simCount(h.sim, 'sts:AssumeRole', 'hang')).toBeGreaterThan(before);
    // Answered before Lambda would have killed it.
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
    const names = demoState().clusters.map((c) => c.name);
    expect(error?.message).toBe(
      `eks-auth-hub: ${names.length} of ${names.length} clusters failed: ${names.map((n) => `${n} (pass.timeout)`).join(', ')}`,
    );
    // The pass was logged and metered as usual.
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ ClustersFailed: names.length });
  }, 20_000);
});
