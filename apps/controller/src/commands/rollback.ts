/** `rollback --config FILE --cluster NAME [--to N]`: puts back a kept version through the guard and access verification. */
import { randomUUID } from 'node:crypto';
import { rollbackCluster } from '@eks-auth-hub/core';
import { EXIT_ERROR, EXIT_OK } from '../cli/exit-codes.js';
import type { CliIo } from '../cli/io.js';
import { parse } from '../cli/parse-args.js';
import { UsageError } from '../cli/usage-error.js';
import { loadConfigFile } from '../config-file.js';
import { clusterRefOf } from './cluster-ref.js';
import { defaultPorts, type PortsFactory } from './ports.js';

export async function rollback(args: readonly string[], io: CliIo, makePorts: PortsFactory = defaultPorts): Promise<number> {
  const { values } = parse(args, { config: { type: 'string', short: 'c' }, cluster: { type: 'string' }, to: { type: 'string' } });
  if (values.config === undefined || values.cluster === undefined) throw new UsageError('rollback needs --config FILE and --cluster NAME');
  const to = values.to === undefined ? 1 : Number(values.to);
  if (!Number.isInteger(to) || to < 1) throw new UsageError('--to is a version number from 1 (see `history`)');
  const state = await loadConfigFile(values.config);
  clusterRefOf(state, values.cluster);
  const result = await rollbackCluster(state, await makePorts(state), values.cluster, to, randomUUID());
  switch (result.outcome) {
    case 'applied':
      io.stdout(`${result.cluster}: version ${to} put back; the version it replaced is kept in the history`);
      return EXIT_OK;
    case 'unchanged':
      io.stdout(`${result.cluster}: aws-auth already equals version ${to}; nothing written`);
      return EXIT_OK;
    case 'blocked':
      for (const refusal of result.refusals) io.stderr(`${result.cluster}: refused by guard (${refusal.rule}): ${refusal.message}`);
      return EXIT_ERROR;
    case 'failed':
      io.stderr(`${result.cluster}: ${result.error?.code ?? 'failed'}: ${result.error?.message ?? ''}`);
      return EXIT_ERROR;
  }
}
