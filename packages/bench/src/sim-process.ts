/**
 * The simulator in its own process for the benchmark: the world comes as a JSON file (written by the
 * benchmark from `generateWorld`); the first stdout line is one JSON object with the hub principal's
 * environment and the endpoints, like `eks-auth-hub-sim`. SIGTERM stops it.
 *
 *   node packages/bench/dist/sim-process.js WORLD_JSON
 */
import { readFileSync } from 'node:fs';
import { closeOnSignals, startSimulator } from '@eks-auth-hub/sim';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: sim-process WORLD_JSON');
const sim = await startSimulator({
  world: JSON.parse(readFileSync(file, 'utf8')) as unknown as Parameters<typeof startSimulator>[0]['world'],
});
closeOnSignals(sim);
process.stdout.write(`${JSON.stringify({ env: sim.env(), awsEndpoint: sim.awsEndpoint, kubeEndpoint: sim.kubeEndpoint })}\n`);
