/** `run --config FILE [--listen HOST:PORT] [--shard I/N]`: the service (../run.ts), until SIGTERM or SIGINT. */
import { parse } from '../cli/parse-args.js';
import { shardOption } from '../cli/shard-option.js';
import { UsageError } from '../cli/usage-error.js';

export async function run(args: readonly string[]): Promise<number> {
  const { values } = parse(args, { config: { type: 'string', short: 'c' }, listen: { type: 'string' }, shard: { type: 'string' } });
  if (values.config === undefined) throw new UsageError('run needs --config FILE');
  const shard = values.shard === undefined ? undefined : shardOption(values.shard);
  const { DEFAULT_LISTEN, parseListen } = await import('../server.js');
  const where = parseListen(values.listen ?? DEFAULT_LISTEN);
  if (where === undefined) throw new UsageError(`--listen ${values.listen ?? ''} is not HOST:PORT`);
  const { runUntilSignalled } = await import('../run.js');
  // Loaded (an invalid file exits 1 here), then looked at before every pass and reloaded when changed.
  return runUntilSignalled({ configFile: values.config, listen: where, ...(shard === undefined ? {} : { shard }) });
}
