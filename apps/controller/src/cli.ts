/**
 * The command line: parses arguments, runs a command, prints for humans, returns the exit code.
 * Exit codes: 0 success, 1 error (bad file, bad arguments, failure), 2 reserved for `plan` with
 * pending changes.
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
// Only light modules are imported up front: the AWS SDK, client-node and the service's server load
// inside the commands that use them (import() below), so `--help`, `validate` and `schema` start fast.
import type { Credentials } from '@eks-auth-hub/aws';
import {
  type ClusterRef,
  type ClusterSelection,
  ConfigError,
  type DesiredState,
  HubError,
  hubJsonSchema,
  isHubError,
  isRegion,
  listConfigIssues,
  notReplaced,
  type PassReport,
  type Ports,
  parseAwsAuth,
  parseShard,
  reconcile,
  rollbackCluster,
  selectClusters,
  selectionLabel,
} from '@eks-auth-hub/core';
import { loadConfigFile } from './config-file.js';
import { passDeadline, stopping } from './deadline.js';
import { renderReport } from './report.js';

export { loadConfigFile } from './config-file.js';

export interface CliIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
}

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
/** `plan`: changes are pending. */
export const EXIT_CHANGES = 2;
/** `plan`/`apply --fail-on-unresolved`: a permission set resolved to no role in a cluster's account. */
export const EXIT_UNRESOLVED = 3;

const USAGE = `Usage: eks-auth-hub <command> [options]

Commands:
  validate --config FILE   check a desired-state file offline; prints a summary or every problem
  plan --config FILE [--cluster NAME... | --shard I/N] [--output text|json] [--fail-on-unresolved]
                           read every cluster and show what a pass would change (writes nothing);
                           exit 0: nothing to change, 2: changes pending, 1: a cluster blocked or failed,
                           3: with --fail-on-unresolved, a permission set has no role in an account
  apply --config FILE [--cluster NAME... | --shard I/N] [--output text|json] [--allow-repair] [--fail-on-unresolved]
                           one pass that writes; exit 0 when every cluster is unchanged or applied;
                           --shard 2/8: only the accounts of shard 2 of 8 (numbered from 1)
  history --config FILE --cluster NAME
                           list the kept versions of the cluster's aws-auth (1 = the last replaced)
  rollback --config FILE --cluster NAME [--to N]
                           put back version N (default 1) through the guard and access verification
  run --config FILE [--listen HOST:PORT]
                           the service: a pass now and every hub.interval; serves /metrics, /healthz,
                           /readyz, /status and a status page (default listen 0.0.0.0:9090)
  token --cluster NAME --region REGION [--role-arn ARN [--external-id ID]]
                           print an ExecCredential with a cluster token, like \`aws eks get-token\`
  schema [--out FILE]      print (or write) the JSON Schema of the desired-state file

AWS endpoints, credentials and region come from the SDK's standard settings (AWS_REGION,
AWS_PROFILE, AWS_ENDPOINT_URL_STS/_IAM/_EKS, the ECS or Lambda role).

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
      case 'plan':
        return await pass(rest, io, true);
      case 'apply':
        return await pass(rest, io, false);
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
    return report(error, io);
  }
}

function report(error: unknown, io: CliIo): number {
  if (error instanceof UsageError) {
    io.stderr(`error: ${error.message}\n\n${USAGE}`);
  } else if (error instanceof ConfigError) {
    for (const line of listConfigIssues(error.issues)) io.stderr(line);
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

function parse<T extends Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>>(
  args: readonly string[],
  options: T,
) {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: false });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
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

/** Builds the ports a pass uses; tests may pass their own. */
export type PortsFactory = (state: DesiredState) => Ports | Promise<Ports>;

const defaultPorts: PortsFactory = async (state) => {
  const { createAwsPorts } = await import('@eks-auth-hub/aws');
  return createAwsPorts({ hub: state.hub });
};

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
    const parsed = parseShard(values.shard);
    if (!parsed.ok) throw new UsageError(`--shard: ${parsed.message}`);
    selection = parsed.selection;
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

/**
 * plan: 1 when any cluster blocked or failed, else 3 when asked to fail on unresolved permission sets
 * and there are some, else 2 when changes are pending, else 0. apply: the same without 2.
 */
export function exitCode(report: PassReport, options: { readonly failOnUnresolved?: boolean } = {}): number {
  if (report.counts.failed > 0 || report.counts.blocked > 0) return EXIT_ERROR;
  if (options.failOnUnresolved === true && report.clusters.some((c) => c.unresolved.length > 0)) return EXIT_UNRESOLVED;
  if (report.dryRun && report.counts.planned > 0) return EXIT_CHANGES;
  return EXIT_OK;
}

/** Runs plan or apply with the given ports (tests use this to inject a clock or limits). */
export async function runPass(args: readonly string[], io: CliIo, dryRun: boolean, makePorts: PortsFactory): Promise<number> {
  try {
    return await pass(args, io, dryRun, makePorts);
  } catch (error) {
    return report(error, io);
  }
}

async function token(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(args, {
    cluster: { type: 'string' },
    region: { type: 'string' },
    'role-arn': { type: 'string' },
    'external-id': { type: 'string' },
  });
  if (values.cluster === undefined || values.region === undefined) throw new UsageError('token needs --cluster NAME and --region REGION');
  if (values['external-id'] !== undefined && values['role-arn'] === undefined) throw new UsageError('--external-id goes with --role-arn');
  if (!isRegion(values.region)) throw new UsageError(`--region ${values.region} is not an AWS region`);
  const { clientSettings, execCredential, fromAwsError, mintClusterToken, withCallDeadline } = await import('@eks-auth-hub/aws');
  let credentials: Credentials;
  try {
    if (values['role-arn'] === undefined) {
      // biome-ignore lint/style/noRestrictedImports: the token command's STS calls move into packages/aws next
      const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
      const c = await fromNodeProviderChain()();
      credentials = {
        accessKeyId: c.accessKeyId,
        secretAccessKey: c.secretAccessKey,
        ...(c.sessionToken === undefined ? {} : { sessionToken: c.sessionToken }),
      };
    } else {
      // biome-ignore lint/style/noRestrictedImports: the token command's STS calls move into packages/aws next
      const { AssumeRoleCommand, STSClient } = await import('@aws-sdk/client-sts');
      // The hub's request timeout and per-call deadline: kubectl waits on this command, it must end.
      const sdk = {};
      const sts = new STSClient({ ...clientSettings(sdk), region: values.region });
      const out = await withCallDeadline(sdk, undefined, (abortSignal) =>
        sts.send(
          new AssumeRoleCommand({
            RoleArn: values['role-arn'],
            RoleSessionName: 'eks-auth-hub-token',
            ...(values['external-id'] === undefined ? {} : { ExternalId: values['external-id'] }),
          }),
          { abortSignal },
        ),
      );
      const c = out.Credentials;
      if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined)
        throw new HubError('terminal', 'aws.error', 'sts:AssumeRole returned no credentials');
      credentials = {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        ...(c.SessionToken === undefined ? {} : { sessionToken: c.SessionToken }),
      };
    }
  } catch (error) {
    const translated = fromAwsError(
      error,
      values['role-arn'] === undefined ? 'loading credentials' : `sts:AssumeRole ${values['role-arn']}`,
    );
    throw new HubError('user', translated.code, translated.message, { cause: error });
  }
  const minted = await mintClusterToken(credentials, values.cluster, values.region, new Date());
  io.stdout(JSON.stringify(execCredential(minted, execApiVersion(process.env['KUBERNETES_EXEC_INFO']))));
  return EXIT_OK;
}

/** The ExecCredential apiVersion kubectl asked for in KUBERNETES_EXEC_INFO (v1 or v1beta1). */
export function execApiVersion(info: string | undefined): string {
  const fallback = 'client.authentication.k8s.io/v1beta1';
  if (info === undefined || info === '') return fallback;
  try {
    const version = (JSON.parse(info) as { apiVersion?: unknown }).apiVersion;
    return version === 'client.authentication.k8s.io/v1' || version === 'client.authentication.k8s.io/v1beta1' ? version : fallback;
  } catch {
    return fallback;
  }
}

async function run(args: readonly string[]): Promise<number> {
  const { values } = parse(args, { config: { type: 'string', short: 'c' }, listen: { type: 'string' } });
  if (values.config === undefined) throw new UsageError('run needs --config FILE');
  const { DEFAULT_LISTEN, parseListen } = await import('./server.js');
  const where = parseListen(values.listen ?? DEFAULT_LISTEN);
  if (where === undefined) throw new UsageError(`--listen ${values.listen ?? ''} is not HOST:PORT`);
  const { runUntilSignalled } = await import('./run.js');
  // Loaded (an invalid file exits 1 here), then looked at before every pass and reloaded when changed.
  return runUntilSignalled({ configFile: values.config, listen: where });
}

function clusterRefOf(state: DesiredState, name: string): ClusterRef {
  const cluster = state.clusters.find((c) => c.name === name);
  if (cluster === undefined)
    throw new UsageError(`no cluster named ${name} in ${state.file}; known: ${state.clusters.map((c) => c.name).join(', ')}`);
  return { account: cluster.account, region: cluster.region, name: cluster.name, partition: cluster.partition };
}

async function history(args: readonly string[], io: CliIo, makePorts: PortsFactory = defaultPorts): Promise<number> {
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

async function rollback(args: readonly string[], io: CliIo, makePorts: PortsFactory = defaultPorts): Promise<number> {
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
