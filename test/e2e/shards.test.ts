/**
 * Shards against the simulator: one generated world (12 accounts × 3 clusters), three identical copies.
 * 1. One whole pass: the reference.
 * 2. The sharded pass of deploy/cloudformation/hub-stepfunctions.yaml: its state machine definition,
 *    with its substitutions, evaluated here with the JSONata library (Items, ItemSelector, the task's
 *    Payload and Output, the Catch and the Choice), each shard's event handed to the Lambda handler
 *    (a fresh container each). Together the shards reconcile every cluster exactly once and leave every
 *    aws-auth as the whole pass did, with the same AWS calls; a shard that fails fails the execution,
 *    named, while the other shards still run.
 * 3. `apply --shard i/n` with the built CLI, shard by shard: the same result again.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PassReport, reconcile, shardOfAccount } from '@eks-auth-hub/core';
import { generatedAccountId, generateWorld, type Simulator, SPOKE_ROLE } from '@eks-auth-hub/sim';
import jsonata from 'jsonata';
import { describe, expect, it } from 'vitest';
import { createHandler, type LambdaPassResult } from '../../apps/controller/src/lambda.js';
import { memoryLogger } from '../../apps/controller/test/service/helpers.js';
import { loadTemplate } from '../deploy/cloudformation.js';
import { e2ePorts, generatedHubYaml, loadState, runCli, snapshot, useSimulator } from './helpers.js';

const world = generateWorld({ accounts: 12, clustersPerAccount: 3, ssoRolesPerAccount: 10, seed: 11 });
const hubYaml = generatedHubYaml(world);
const hubFile = join(mkdtempSync(join(tmpdir(), 'hub-shards-')), 'hub.yaml');
writeFileSync(hubFile, hubYaml);
const state = loadState(hubYaml, hubFile);
const SHARDS = 5;

/** What a pass leaves behind that must not depend on how it was split: each aws-auth's data, and the AWS calls. */
interface Outcome {
  readonly data: Record<string, Record<string, string> | null>;
  readonly calls: Record<string, number>;
}

function outcome(sim: Simulator): Outcome {
  const data = Object.fromEntries(Object.entries(snapshot(sim)).map(([id, live]) => [id, live.data]));
  const counters = sim.control.counters();
  const calls = Object.fromEntries(
    [
      'sts:AssumeRole',
      'iam:ListRoles',
      'eks:DescribeCluster',
      'eks:ListNodegroups',
      'eks:DescribeNodegroup',
      'eks:ListFargateProfiles',
      'k8s:create',
      'k8s:update',
    ].map((op) => [op, counters[op]?.calls ?? 0]),
  );
  return { data, calls };
}

let whole: { report: PassReport; before: Outcome; after: Outcome } | undefined;

function reference(): NonNullable<typeof whole> {
  if (whole === undefined) throw new Error('the whole pass has not run');
  return whole;
}

describe('one whole pass (the reference)', { timeout: 30_000 }, () => {
  const h = useSimulator(() => world);

  it('applies every cluster', async () => {
    const before = outcome(h.sim);
    const report = await reconcile(state, e2ePorts(state), { passId: 'whole', dryRun: false });
    expect(report.counts).toMatchObject({ applied: 36, failed: 0, blocked: 0 });
    whole = { report, before, after: outcome(h.sim) };
    expect(whole.after.calls['sts:AssumeRole']).toBe(12);
  });
});

// ---------------------------------------------------------------------------------------------------
// The state machine of hub-stepfunctions.yaml, its JSONata evaluated by the jsonata library.

type Asl = Record<string, unknown>;
const FUNCTION_ARN = 'arn:aws:lambda:eu-west-1:999900000000:function:eks-auth-hub';

/** The definition as Step Functions receives it: DefinitionSubstitutions applied to every string. */
function definition(shardCount: number): Asl {
  const sm = loadTemplate('hub-stepfunctions.yaml').Resources['StateMachine']?.Properties ?? {};
  const substitutions: Record<string, string> = {};
  for (const [key, value] of Object.entries(sm['DefinitionSubstitutions'] as Record<string, unknown>)) {
    const ref = (value as { Ref?: string }).Ref;
    substitutions[key] =
      ref === 'FunctionArn'
        ? FUNCTION_ARN
        : ref === 'ShardCount'
          ? String(shardCount)
          : ref === 'MaxConcurrency'
            ? '4'
            : ref === 'AWS::Partition'
              ? 'aws'
              : `unknown ${String(ref)}`;
  }
  const text = JSON.stringify(sm['Definition']).replace(/\$\{([A-Za-z0-9]+)\}/g, (m, key: string) => substitutions[key] ?? m);
  expect(text).not.toMatch(/\$\{|unknown /);
  return JSON.parse(text) as Asl;
}

/** A field's value: a `{% … %}` JSONata expression evaluated with `$states`, or the value itself. */
async function field(value: unknown, states: Record<string, unknown>): Promise<unknown> {
  if (typeof value === 'string') {
    const m = /^\{%(.*)%\}$/s.exec(value);
    return m === null ? value : jsonata(m[1] ?? '').evaluate({}, { states });
  }
  if (Array.isArray(value)) return Promise.all(value.map((v) => field(v, states)));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await field(v, states);
    return out;
  }
  return value;
}

interface Execution {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly error?: string;
  readonly cause?: string;
  /** The Map state's output: one item per shard. */
  readonly items: readonly Record<string, unknown>[];
  /** Per shard event: the clusters its invocation reconciled (`account/region/name`). */
  readonly clusters: ReadonlyMap<string, readonly string[]>;
}

/** Runs the state machine: the Map's iterations at most MaxConcurrency at once, each a fresh Lambda container. */
async function execute(asl: Asl): Promise<Execution> {
  expect(asl['QueryLanguage']).toBe('JSONata');
  const states = asl['States'] as Record<string, Asl>;
  const map = states[String(asl['StartAt'])] as Asl;
  expect(map['Type']).toBe('Map');
  const processor = map['ItemProcessor'] as Asl;
  const task = (processor['States'] as Record<string, Asl>)[String(processor['StartAt'])] as Asl;
  expect(task).toMatchObject({ Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', End: true });
  const catcher = (task['Catch'] as Asl[])[0] as Asl;
  expect(catcher['ErrorEquals']).toEqual(['States.ALL']);

  const input = {};
  const items = (await field(map['Items'], { input })) as unknown[];
  const maxConcurrency = (await field(map['MaxConcurrency'], { input })) as number;
  const clusters = new Map<string, string[]>();
  const outputs: Record<string, unknown>[] = new Array<Record<string, unknown>>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < items.length; index = next++) {
      const context = { Map: { Item: { Index: index, Value: items[index] } } };
      const event = await field(map['ItemSelector'], { input, context });
      const args = (await field(task['Arguments'], { input: event, context })) as { FunctionName: string; Payload: unknown };
      expect(args.FunctionName).toBe(FUNCTION_ARN);
      const log = memoryLogger('info');
      const handler = createHandler({ configFile: () => hubFile, logger: log.logger, emit: () => undefined });
      try {
        const summary: LambdaPassResult = await handler(args.Payload);
        outputs[index] = (await field(task['Output'], { input: event, result: { StatusCode: 200, Payload: summary } })) as Record<
          string,
          unknown
        >;
      } catch (error) {
        const errorOutput = { Error: 'Error', Cause: JSON.stringify({ errorType: 'Error', errorMessage: (error as Error).message }) };
        outputs[index] = (await field(catcher['Output'], { input: event, errorOutput })) as Record<string, unknown>;
      }
      const label = JSON.stringify(args.Payload);
      clusters.set(
        label,
        log
          .records()
          .filter((r) => typeof r['cluster'] === 'string' && typeof r['outcome'] === 'string')
          .map((r) => `${String(r['account'])}/${String(r['region'])}/${String(r['cluster'])}`),
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(maxConcurrency, items.length) }, worker));

  const choice = states[String(map['Next'])] as Asl;
  expect(choice['Type']).toBe('Choice');
  let nextState = String(choice['Default']);
  for (const rule of choice['Choices'] as Asl[]) {
    if ((await field(rule['Condition'], { input: outputs })) === true) {
      nextState = String(rule['Next']);
      break;
    }
  }
  const end = states[nextState] as Asl;
  if (end['Type'] === 'Succeed') return { status: 'SUCCEEDED', items: outputs, clusters };
  expect(end['Type']).toBe('Fail');
  return {
    status: 'FAILED',
    error: String(end['Error']),
    cause: String(await field(end['Cause'], { input: outputs })),
    items: outputs,
    clusters,
  };
}

describe('the sharded pass of hub-stepfunctions.yaml', { timeout: 60_000 }, () => {
  const h = useSimulator(() => world);

  it('the template maps shard numbers 1..n to the events {"shard": "i/n"}', async () => {
    const asl = definition(SHARDS);
    const map = (asl['States'] as Record<string, Asl>)['Shards'] as Asl;
    const items = (await field(map['Items'], { input: {} })) as number[];
    expect(items).toEqual([1, 2, 3, 4, 5]);
    const events = await Promise.all(
      items.map((value, index) => field(map['ItemSelector'], { input: {}, context: { Map: { Item: { Index: index, Value: value } } } })),
    );
    expect(events).toEqual(items.map((i) => ({ shard: `${i}/${SHARDS}` })));
  });

  it('together the shards reconcile every cluster exactly once, and leave the world as the whole pass did', async () => {
    expect(outcome(h.sim)).toEqual(reference().before);
    const execution = await execute(definition(SHARDS));
    expect(execution.status, execution.cause).toBe('SUCCEEDED');
    const seen = [...execution.clusters.values()].flat();
    expect(seen.sort()).toEqual(state.clusters.map((c) => c.id).sort());
    expect(new Set(seen).size).toBe(seen.length);
    expect(execution.items.map((item) => item['shard'])).toEqual(['1/5', '2/5', '3/5', '4/5', '5/5']);
    const applied = execution.items.reduce((n, item) => n + ((item['counts'] as { applied: number }).applied ?? 0), 0);
    expect(applied).toBe(reference().report.counts.applied);
    expect(outcome(h.sim)).toEqual(reference().after);
  });

  it('a shard that fails fails the execution, named in its cause; the other shards still run', async () => {
    const broken = generatedAccountId(4);
    h.sim.control.deleteRole(broken, SPOKE_ROLE);
    const brokenShard = shardOfAccount(broken, SHARDS);
    const execution = await execute(definition(SHARDS));
    expect(execution).toMatchObject({
      status: 'FAILED',
      error: 'EksAuthHub.ShardFailed',
      cause: `shards failed: ${brokenShard}/${SHARDS}`,
    });
    const failed = execution.items.filter((item) => 'error' in item);
    expect(failed).toHaveLength(1);
    expect(String(failed[0]?.['cause'])).toContain(`clusters failed`);
    expect(
      execution.items.filter((item) => !('error' in item)).map((item) => (item['counts'] as { unchanged: number; failed: number }).failed),
    ).toEqual([0, 0, 0, 0]);
    expect([...execution.clusters.values()].flat()).toHaveLength(state.clusters.length);
  });
});

describe('apply --shard i/n, shard by shard, with the built CLI', { timeout: 90_000 }, () => {
  const h = useSimulator(() => world);

  it('covers every cluster exactly once and leaves the world as the whole pass did', async () => {
    expect(outcome(h.sim)).toEqual(reference().before);
    const seen: string[] = [];
    for (let i = 1; i <= 3; i++) {
      const run = await runCli(['apply', '--config', hubFile, '--shard', `${i}/3`, '--output', 'json'], {});
      expect(run.code, run.stderr).toBe(0);
      const report = JSON.parse(run.stdout) as PassReport;
      expect(report.shard).toBe(`${i}/3`);
      seen.push(...report.clusters.map((c) => c.clusterId));
    }
    expect(seen.sort()).toEqual(state.clusters.map((c) => c.id).sort());
    expect(outcome(h.sim)).toEqual(reference().after);
    const plan = await runCli(['plan', '--config', hubFile, '--shard', '2/3'], {});
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/\(shard 2\/3, pass [0-9a-f-]{36}, \d+ ms\)$/m);
  });
});

// Keeps the world file honest: the generated desired state is what the simulator serves.
it('the generated desired state names 36 clusters in 12 accounts', () => {
  expect(state.clusters).toHaveLength(36);
  expect(new Set(state.clusters.map((c) => c.account)).size).toBe(12);
  expect(readFileSync(hubFile, 'utf8')).toBe(hubYaml);
});
