#!/usr/bin/env node
/**
 * `pnpm bench`: the hub against a generated world in the simulator, each in its own process, over
 * three passes (cold: no aws-auth anywhere and nothing cached; warm: nothing to change; after 1% of
 * the permission sets were reassigned, each role created again with a new suffix), then the
 * per-cluster model of the earlier tool on the same world, then the libraries' floor (the cold
 * pass's calls with the same libraries and nothing else). Prints a table and, as its last stdout line, one JSON object with every figure.
 * See README.md in this package for the definitions.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { type BenchOptions, OptionsError, parseBenchOptions, USAGE } from './options.js';
import { benchChecks, hubPassFigures } from './pass-figures.js';
import { printReport } from './report.js';
import { runSide } from './side-run.js';
import { benchWorld, desiredHubYaml, passSettings, reassignmentPicks, worldShape } from './world.js';

async function main(): Promise<number> {
  let options: BenchOptions | 'help';
  try {
    options = parseBenchOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof OptionsError)) throw error;
    process.stderr.write(`error: ${error.message}\n${USAGE}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const o = options;
  const say = (line: string): void => {
    if (!o.json) process.stdout.write(`${line}\n`);
  };
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadBefore: loadavg().map((l) => Math.round(l * 100) / 100),
  };
  const world = benchWorld(o);
  const shape = worldShape(world);
  const picks = reassignmentPicks(world, o.reassignShare, o.seed);
  const settings = passSettings(shape, picks);
  const clusters = shape.accounts.reduce((n, a) => n + a.clusters.length, 0);
  const dir = mkdtempSync(join(tmpdir(), 'eks-auth-hub-bench-'));
  try {
    const worldFile = join(dir, 'world.json');
    const hubFile = join(dir, 'hub.yaml');
    writeFileSync(worldFile, JSON.stringify(world));
    writeFileSync(hubFile, desiredHubYaml(world, o));
    say(
      `world: ${o.accounts} accounts × ${o.clustersPerAccount} clusters = ${clusters} clusters, ${o.ssoRoles} permission sets per account (all mapped), latency ${o.latencyMs} ms, concurrency ${o.concurrency}${o.hubHeapMb > 0 ? `, hub --max-old-space-size=${o.hubHeapMb}` : ''}`,
    );
    say(
      `machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGb} GiB, Node ${machine.node}, load ${machine.loadBefore.join(' ')}`,
    );
    const hub = await runSide('hub-process.js', [hubFile], worldFile, o, picks, say);
    const model = o.perCluster
      ? await runSide('per-cluster-process.js', [worldFile, String(o.concurrency)], worldFile, o, picks, say)
      : undefined;
    const floorSide = o.floor
      ? await runSide('floor-process.js', [worldFile, String(o.concurrency)], worldFile, o, picks, say, ['cold'])
      : undefined;
    const hubPasses = hubPassFigures(hub, model, floorSide, shape, settings, o);
    const checks = benchChecks(hubPasses, shape, o);
    const loadAfter = loadavg().map((l) => Math.round(l * 100) / 100);
    printReport(say, hubPasses, model !== undefined, checks, loadAfter);
    const summary = {
      options: {
        accounts: o.accounts,
        clustersPerAccount: o.clustersPerAccount,
        ssoRoles: o.ssoRoles,
        latencyMs: o.latencyMs,
        concurrency: o.concurrency,
        reassignShare: o.reassignShare,
        seed: o.seed,
        hubHeapMb: o.hubHeapMb,
        floor: o.floor,
      },
      world: { accounts: shape.accounts.length, clusters, reassigned: picks.length },
      machine: { ...machine, loadAfter },
      passes: hubPasses,
      checks,
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
