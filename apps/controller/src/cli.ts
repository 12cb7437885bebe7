/**
 * The command line: parses arguments, runs a command, prints for humans, returns the exit code.
 * Exit codes: 0 success, 1 error (bad file, bad arguments, failure), 2 reserved for `plan` with
 * pending changes.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ConfigError, HubError, formatConfigIssue, hubJsonSchema, isHubError, loadDesiredState, type DesiredState } from '@eks-auth-hub/core';

export interface CliIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
}

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;

const USAGE = `Usage: eks-auth-hub <command> [options]

Commands:
  validate --config FILE   check a desired-state file offline; prints a summary or every problem
  schema [--out FILE]      print (or write) the JSON Schema of the desired-state file

Options:
  -h, --help               show this help`;

class UsageError extends Error {}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'validate':
        return await validate(rest, io);
      case 'schema':
        return await schema(rest, io);
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
    return report(error, io);
  }
}

function report(error: unknown, io: CliIo): number {
  if (error instanceof UsageError) {
    io.stderr(`error: ${error.message}\n\n${USAGE}`);
  } else if (error instanceof ConfigError) {
    for (const issue of error.issues) io.stderr(formatConfigIssue(issue));
    const count = error.issues.length === 1 ? '1 problem' : `${error.issues.length} problems`;
    io.stderr(`${error.issues[0]?.location.file ?? 'config'}: ${count}; nothing was changed`);
  } else if (isHubError(error) && error.kind === 'user') {
    io.stderr(`error: ${error.message}`);
  } else {
    // Not the user's fault: say so, without a stack trace unless asked for.
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`internal error: ${message}`);
    if (process.env['EKS_AUTH_HUB_DEBUG'] === '1' && error instanceof Error && error.stack !== undefined) io.stderr(error.stack);
  }
  return EXIT_ERROR;
}

function parse<T extends Record<string, { type: 'string' | 'boolean'; short?: string }>>(args: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: false });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** Reads and validates the desired-state file, or throws a user-facing error. */
export async function loadConfigFile(file: string): Promise<DesiredState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (code ?? 'unreadable');
    throw new HubError('user', 'config.unreadable', `cannot read the desired-state file ${file}: ${why}`, { cause: error });
  }
  const result = loadDesiredState(text, file);
  if (!result.ok) throw result.error;
  return result.state;
}

async function validate(args: readonly string[], io: CliIo): Promise<number> {
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

/** The JSON Schema text exactly as committed in `config/hub.schema.json`. */
export function schemaText(): string {
  return `${JSON.stringify(hubJsonSchema(), null, 2)}\n`;
}

async function schema(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { out: { type: 'string', short: 'o' } });
  if (values.out === undefined) {
    io.stdout(schemaText().trimEnd());
  } else {
    await writeFile(values.out, schemaText(), 'utf8');
    io.stdout(`wrote ${values.out}`);
  }
  return EXIT_OK;
}
