/**
 * The test kit: what the end-to-end, service, soak, benchmark and simulator tests share. Plain
 * Node; the vitest hooks (useSimulator) come from `@eks-auth-hub/testing/vitest`.
 */
export { AMBIENT_AWS_SETTINGS, childAwsEnv, pointAwsEnvAt } from './aws-env.js';
export { type ChildOptions, type Exited, exitWithin, jsonLines, runToEnd, type Started, start } from './child-process.js';
export {
  ANALYTICS,
  demoHub,
  demoHubText,
  demoState,
  demoWorld,
  loadState,
  PAYMENTS,
  PLATFORM,
  type Replace,
  refOf,
} from './demo-files.js';
export {
  type Exposition,
  familyOf,
  maybeValueOf,
  parseExposition,
  type Sample,
  samplesOf,
  sampleValue,
} from './exposition.js';
export {
  type FirstLineChild,
  type FirstLineOptions,
  type SimulatorProcess,
  spawnFirstLine,
  startSimulatorProcess,
  stopChild,
} from './first-line.js';
export { freePort } from './free-port.js';
export { type GeneratedHubOptions, generatedHubYaml } from './generated-hub-yaml.js';
export { type HttpAnswer, http, scrape } from './http.js';
export { type ExpectedEntry, expectedNodeEntry, type NodeRoleUse } from './node-entry.js';
export { demoHubFile, demoWorldFile, hubBin, repoRoot, simBin } from './paths.js';
export { withoutPath } from './role-arn.js';
export { SimControlClient } from './sim-control-client.js';
export { requestsSeen, simCount, writesSeen } from './sim-counts.js';
export { sleep, waitFor } from './wait.js';
