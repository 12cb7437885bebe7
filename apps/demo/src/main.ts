#!/usr/bin/env node
/**
 * `pnpm demo`: the hub's main job on an embedded default, no AWS account needed. It starts the
 * simulator with config/sim/demo-world.yaml, points the AWS SDK at it through its standard settings,
 * shows the plan, applies it, reassigns a permission set (its last assignment in an account removed
 * and a new one made: Identity Center creates its role again with a new suffix) and shows the next
 * pass repairing exactly the affected cluster. Then it keeps the service running (metrics, status
 * page) until Ctrl-C — or exits with `--once`, or when CI is set.
 */
import '@eks-auth-hub/controller/env-defaults';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createAwsPorts } from '@eks-auth-hub/aws';
import { loadConfigFile, renderReport } from '@eks-auth-hub/controller';
import { createLogger, parseListen, startHub } from '@eks-auth-hub/controller/run';
import { type DesiredState, formatConfigIssue, reconcile } from '@eks-auth-hub/core';
import { loadWorldFile, startSimulator } from '@eks-auth-hub/sim';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const out = (text = ''): void => {
  process.stdout.write(`${text}\n`);
};
const heading = (text: string): void => out(`\n== ${text}\n`);

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      once: { type: 'boolean' },
      listen: { type: 'string', default: '127.0.0.1:9090' },
      world: { type: 'string', default: join(repo, 'config', 'sim', 'demo-world.yaml') },
      config: { type: 'string', default: join(repo, 'config', 'sim', 'demo-hub.yaml') },
    },
  });
  const once = values.once === true || (process.env['CI'] !== undefined && process.env['CI'] !== '' && process.env['CI'] !== 'false');
  const where = parseListen(values.listen);
  if (where === undefined) throw new Error(`--listen ${values.listen} is not HOST:PORT`);

  const worldText = await readFile(values.world, 'utf8');
  const world = loadWorldFile(worldText, values.world);
  if (!world.ok) {
    process.stderr.write(`${world.issues.map(formatConfigIssue).join('\n')}\n`);
    return 1;
  }
  const sim = await startSimulator({ world: world.world });
  // The hub finds AWS the way it always does: through the SDK's standard settings.
  Object.assign(process.env, sim.env('eu-west-1'));
  const state: DesiredState = await loadConfigFile(values.config);
  const ports = createAwsPorts({ hub: state.hub });

  heading(
    `The simulated world: ${sim.world.accounts.size - 1} accounts, ${sim.world.clustersById.size} clusters (AWS at ${sim.awsEndpoint})`,
  );
  out(`Desired state: ${values.config} (${state.clusters.length} clusters)`);

  heading('plan: what the hub would change (nothing is written)');
  out(renderReport(await reconcile(state, ports, { passId: 'demo-plan', dryRun: true })));

  heading('apply: the first pass writes every aws-auth (analytics had none: it is created)');
  out(renderReport(await reconcile(state, ports, { passId: 'demo-apply', dryRun: false })));

  const account = '111122223333';
  const { removed, roleArn } = sim.control.reassignPermissionSet(account, 'ReadOnly');
  heading('Identity Center re-assigns the permission set ReadOnly in account 111122223333 (last assignment removed, a new one made)');
  out(`  old role: ${removed.join(', ')}`);
  out(`  new role: ${roleArn}`);
  out('  Until the hub repairs it, aws-auth of payments-prod names a role that no longer exists.');

  heading('the next pass repairs exactly the affected cluster');
  const repair = await reconcile(state, ports, { passId: 'demo-repair', dryRun: false });
  out(renderReport(repair));

  if (once) {
    await sim.close();
    out('\nDemo finished (--once).');
    return repair.counts.failed + repair.counts.blocked === 0 ? 0 : 1;
  }

  const hub = await startHub({ state, listen: where, logger: createLogger({ level: 'warn' }) });
  heading('the hub keeps running as a service');
  out(`  status page: ${hub.url}/`);
  out(`  status JSON: ${hub.url}/status`);
  out(`  metrics:     ${hub.url}/metrics`);
  out(
    `  simulator control API: ${sim.awsEndpoint}/_sim/ (e.g. curl -X POST ${sim.awsEndpoint}/_sim/permission-sets/reassign -d '{"account":"${account}","permissionSet":"AdministratorAccess"}')`,
  );
  out(`  a pass runs every ${state.hub.interval}. Ctrl-C stops it.`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await hub.stop();
  await sim.close();
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
