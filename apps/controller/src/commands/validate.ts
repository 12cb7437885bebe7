/** `validate --config FILE`: checks a desired-state file offline; prints a summary or every problem. */
import type { DesiredState } from '@eks-auth-hub/core';
import { EXIT_OK } from '../cli/exit-codes.js';
import type { CliIo } from '../cli/io.js';
import { parse } from '../cli/parse-args.js';
import { UsageError } from '../cli/usage-error.js';
import { loadConfigFile } from '../config-file.js';

export async function validate(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { config: { type: 'string', short: 'c' } });
  if (values.config === undefined) throw new UsageError('validate needs --config FILE');
  const state = await loadConfigFile(values.config);
  io.stdout(`OK ${state.file}: ${summarize(state)}`);
  return EXIT_OK;
}

export function summarize(state: DesiredState): string {
  const accounts = new Set(state.clusters.map((c) => c.account));
  let mappings = 0;
  let bySet = 0;
  const sets = new Set<string>();
  for (const cluster of state.clusters) {
    mappings += cluster.mapRoles.length + cluster.mapUsers.length + cluster.mapAccounts.length;
    for (const role of cluster.mapRoles) {
      if (role.kind === 'permissionset') {
        bySet += 1;
        sets.add(role.permissionSet);
      }
    }
  }
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${plural(state.clusters.length, 'cluster')} in ${plural(accounts.size, 'account')}, ${plural(mappings, 'mapping')} (${bySet} by permission set, ${plural(sets.size, 'distinct permission set')})`;
}
