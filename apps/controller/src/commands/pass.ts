/**
 * `plan` and `apply`: one pass over the selected clusters, dry (prints what would change) or writing.
 * plan exits 0 with nothing to change, 2 with changes pending; both exit 1 when a cluster blocked or
 * failed, and 3 with --fail-on-unresolved when a permission set has no role in an account.
 */
import { randomUUID } from 'node:crypto';
import { type ClusterSelection, type PassReport, reconcile, selectClusters, selectionLabel } from '@eks-auth-hub/core';
import { EXIT_ERROR, exitCode } from '../cli/exit-codes.js';
import type { CliIo } from '../cli/io.js';
import { parse } from '../cli/parse-args.js';
import { reportError } from '../cli/report-error.js';
import { shardOption } from '../cli/shard-option.js';
import { UsageError } from '../cli/usage-error.js';
import { loadConfigFile } from '../config-file.js';
import { passDeadline, stopping } from '../deadline.js';
import { renderReport } from '../report.js';
import { defaultPorts, type PortsFactory } from './ports.js';

/** `plan`: reads every cluster and shows what a pass would change (writes nothing). */
export function plan(args: readonly string[], io: CliIo): Promise<number> {
  return pass(args, io, true);
}

/** `apply`: one pass that writes. */
export function apply(args: readonly string[], io: CliIo): Promise<number> {
  return pass(args, io, false);
}

async function pass(args: readonly string[], io: CliIo, dryRun: boolean, makePorts: PortsFactory = defaultPorts): Promise<number> {
  const { values } = parse(args, {
    config: { type: 'string', short: 'c' },
    cluster: { type: 'string', multiple: true },
    output: { type: 'string', short: 'o' },
    shard: { type: 'string' },
    'allow-repair': { type: 'boolean' },
    'fail-on-unresolved': { type: 'boolean' },
  });
  if (values.config === undefined) throw new UsageError(`${dryRun ? 'plan' : 'apply'} needs --config FILE`);
  const output = values.output ?? 'text';
  if (output !== 'text' && output !== 'json') throw new UsageError('--output is text or json');
  if (dryRun && values['allow-repair'] === true) throw new UsageError('--allow-repair goes with apply');
  let selection: ClusterSelection = { kind: 'all' };
  if (values.shard !== undefined) {
    if (values.cluster !== undefined) throw new UsageError('--shard and --cluster do not go together: a shard is a set of whole accounts');
    selection = shardOption(values.shard);
  }
  const whole = await loadConfigFile(values.config);
  const state = selectClusters(whole, selection);
  const only = values.cluster ?? [];
  const known = new Set(state.clusters.map((c) => c.name));
  const unknown = only.filter((name) => !known.has(name));
  if (unknown.length > 0)
    throw new UsageError(`no cluster named ${unknown.join(', ')} in ${values.config}; known: ${[...known].join(', ')}`);
  const shard = selectionLabel(selection);
  const ports = await makePorts(state);
  const deadline = passDeadline(state.hub.passTimeoutMs, state.hub.passTimeout);
  // SIGTERM or SIGINT ends the pass at once: what is in flight is aborted, the clusters not done are
  // reported (hub.stopping) and the report is printed; a process still held after 9 s exits anyway.
  const onSignal = (): void => {
    deadline.end(stopping());
    setTimeout(() => process.exit(EXIT_ERROR), 9_000).unref();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  let report: PassReport;
  try {
    report = await reconcile(state, ports, {
      passId: randomUUID(),
      dryRun,
      only,
      allowRepair: values['allow-repair'] === true,
      deadline: deadline.signal,
      ...(shard === undefined ? {} : { shard }),
    });
  } finally {
    deadline.dispose();
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
  io.stdout(output === 'json' ? JSON.stringify(report, null, 2) : renderReport(report));
  const failOnUnresolved = values['fail-on-unresolved'] === true;
  if (failOnUnresolved) for (const line of unresolvedLines(report)) io.stderr(line);
  return exitCode(report, { failOnUnresolved });
}

/** One line per cluster with unresolved permission sets (and what they may have meant), for a CI log. */
function unresolvedLines(report: PassReport): string[] {
  return report.clusters.flatMap((c) =>
    c.unresolved.length === 0
      ? []
      : [
          `unresolved in ${c.name} (${c.account}): ${c.unresolved
            .map((name) => {
              const r = c.resolutions.find((x) => x.status === 'unresolved' && x.permissionSet === name);
              const hints = r?.status === 'unresolved' ? (r.didYouMean ?? []) : [];
              return hints.length === 0 ? name : `${name} (did you mean ${hints.join(' or ')}?)`;
            })
            .join(', ')}`,
        ],
  );
}

/** Runs plan or apply with the given ports (tests use this to inject a clock or limits). */
export async function runPass(args: readonly string[], io: CliIo, dryRun: boolean, makePorts: PortsFactory): Promise<number> {
  try {
    return await pass(args, io, dryRun, makePorts);
  } catch (error) {
    return reportError(error, io);
  }
}
