/** `history --config FILE --cluster NAME`: the kept versions of the cluster's aws-auth (1 = the last replaced). */
import { notReplaced, parseAwsAuth } from '@eks-auth-hub/core';
import { EXIT_ERROR, EXIT_OK } from '../cli/exit-codes.js';
import type { CliIo } from '../cli/io.js';
import { parse } from '../cli/parse-args.js';
import { UsageError } from '../cli/usage-error.js';
import { loadConfigFile } from '../config-file.js';
import { clusterRefOf } from './cluster-ref.js';
import { defaultPorts, type PortsFactory } from './ports.js';

export async function history(args: readonly string[], io: CliIo, makePorts: PortsFactory = defaultPorts): Promise<number> {
  const { values } = parse(args, { config: { type: 'string', short: 'c' }, cluster: { type: 'string' } });
  if (values.config === undefined || values.cluster === undefined) throw new UsageError('history needs --config FILE and --cluster NAME');
  const state = await loadConfigFile(values.config);
  const ref = clusterRefOf(state, values.cluster);
  const ports = await makePorts(state);
  let kept;
  let live;
  try {
    await ports.sessions.open(ref.account, ref.partition);
    const endpoint = await ports.clusters.describe(ref);
    kept = await ports.awsAuth.readHistory(ref, endpoint);
    // To tell the versions really replaced from one whose write never happened.
    live = await ports.awsAuth.read(ref, endpoint);
  } catch (error) {
    io.stderr(`error: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT_ERROR;
  }
  const entries = kept?.entries ?? [];
  if (entries.length === 0) {
    io.stdout(`${ref.name}: no versions kept yet (the hub keeps one before each of its writes)`);
    return EXIT_OK;
  }
  io.stdout(`${ref.name}: ${entries.length} version${entries.length === 1 ? '' : 's'} kept (newest first)`);
  entries.forEach((entry, i) => {
    const parsed = parseAwsAuth(entry.data);
    const counts = `${parsed.mapRoles.length} roles, ${parsed.mapUsers.length} users, ${parsed.mapAccounts.length} accounts`;
    const hash = entry.desiredHash === '' ? 'not written by the hub' : `desired ${entry.desiredHash.slice(0, 12)}`;
    const when = notReplaced(entry, live ?? null)
      ? `still live: pass ${entry.passId} kept it at ${entry.replacedAt} but its write did not happen`
      : `replaced ${entry.replacedAt} by pass ${entry.passId}`;
    io.stdout(`  ${String(i + 1).padStart(2)}  ${when}  ${counts}  (${hash})`);
  });
  return EXIT_OK;
}
