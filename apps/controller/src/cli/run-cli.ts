/**
 * The command line: picks the command, runs it, returns the exit code (exit-codes.ts). Each command
 * lives in ../commands/, one file per verb; what they share (parsing, usage, errors) lives here.
 */
// Only light modules are imported up front: the AWS SDK, client-node and the service's server load
// inside the commands that use them (import() in ../commands/), so `--help`, `validate` and `schema` start fast.
import { history } from '../commands/history.js';
import { apply, plan } from '../commands/pass.js';
import { rollback } from '../commands/rollback.js';
import { run } from '../commands/run.js';
import { schema } from '../commands/schema.js';
import { token } from '../commands/token.js';
import { validate } from '../commands/validate.js';
import { EXIT_ERROR, EXIT_OK } from './exit-codes.js';
import type { CliIo } from './io.js';
import { reportError } from './report-error.js';
import { USAGE } from './usage.js';
import { UsageError } from './usage-error.js';

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'validate':
        return await validate(rest, io);
      case 'schema':
        return await schema(rest, io);
      case 'plan':
        return await plan(rest, io);
      case 'apply':
        return await apply(rest, io);
      case 'token':
        return await token(rest, io);
      case 'run':
        return await run(rest);
      case 'history':
        return await history(rest, io);
      case 'rollback':
        return await rollback(rest, io);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.stdout(USAGE);
        return command === undefined ? EXIT_ERROR : EXIT_OK;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    return reportError(error, io);
  }
}
