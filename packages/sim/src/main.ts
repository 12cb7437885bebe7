#!/usr/bin/env node
/**
 * `eks-auth-hub-sim --world FILE [--port N] [--kube-port N]`, or a generated world with
 * `--accounts N --clusters-per-account M --sso-roles R [--seed S]`.
 * The first stdout line is one JSON object with the hub principal's environment; then endpoints.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { formatConfigIssue } from '@eks-auth-hub/core';
import { generateWorld } from './generate.js';
import { closeOnSignals, startSimulator } from './simulator.js';
import { loadWorldFile, type WorldFile, type WorldFileInput } from './world-schema.js';

const USAGE = `Usage: eks-auth-hub-sim --world FILE [--port N] [--kube-port N] [--region R]
       eks-auth-hub-sim --accounts N --clusters-per-account M --sso-roles R [--seed S] [--port N]`;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function port(value: string | undefined, name: string): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) fail(`error: --${name} must be a port number\n${USAGE}`);
  return n;
}

function count(value: string | undefined, name: string): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < 1) fail(`error: --${name} must be a whole number >= 1\n${USAGE}`);
  return n;
}

let args;
try {
  args = parseArgs({
    options: {
      world: { type: 'string' },
      port: { type: 'string' },
      'kube-port': { type: 'string' },
      region: { type: 'string' },
      accounts: { type: 'string' },
      'clusters-per-account': { type: 'string' },
      'sso-roles': { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }).values;
} catch (error) {
  fail(`error: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
}
if (args.help === true) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

let world: WorldFile | WorldFileInput;
if (args.world !== undefined) {
  let text: string;
  try {
    text = await readFile(args.world, 'utf8');
  } catch {
    fail(`error: cannot read the world file ${args.world}`);
  }
  const loaded = loadWorldFile(text, args.world);
  if (!loaded.ok) fail(`${loaded.issues.map(formatConfigIssue).join('\n')}\n${args.world}: ${loaded.issues.length} problem(s)`);
  world = loaded.world;
} else if (args.accounts !== undefined) {
  world = generateWorld({
    accounts: count(args.accounts, 'accounts'),
    clustersPerAccount: count(args['clusters-per-account'], 'clusters-per-account'),
    ssoRolesPerAccount: count(args['sso-roles'], 'sso-roles'),
    seed: args.seed === undefined ? 1 : count(args.seed, 'seed'),
  });
} else {
  fail(`error: give --world FILE or --accounts N\n${USAGE}`);
}

const started = Date.now();
const sim = await startSimulator({ world, awsPort: port(args.port, 'port'), kubePort: port(args['kube-port'], 'kube-port') });
// Handlers first: a client may signal as soon as it has read the first line.
closeOnSignals(sim);
const env = sim.env(args.region ?? 'eu-west-1');
process.stdout.write(
  `${JSON.stringify({ env, awsEndpoint: sim.awsEndpoint, kubeEndpoint: sim.kubeEndpoint, control: `${sim.awsEndpoint}/_sim/` })}\n`,
);
process.stdout.write(
  [
    `simulator ready in ${Date.now() - started} ms: ${sim.world.accounts.size - 1} accounts, ${sim.world.clustersById.size} clusters`,
    `  AWS (STS, IAM, EKS): ${sim.awsEndpoint}`,
    `  Kubernetes API:      ${sim.kubeEndpoint}/k8s/<cluster id>  (see DescribeCluster)`,
    `  control:             ${sim.awsEndpoint}/_sim/  (GET /_sim/clusters, GET /_sim/counters, ...)`,
    'Ctrl-C stops it.',
    '',
  ].join('\n'),
);
