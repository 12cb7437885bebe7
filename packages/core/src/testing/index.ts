/** `@eks-auth-hub/core/testing`: in-memory ports for tests of anything written against the core's ports. */
export {
  clusterKey,
  InMemoryAccountSessions,
  InMemoryAwsAuthStore,
  InMemoryClusterDirectory,
  type InMemoryPorts,
  InMemoryRoleDirectory,
  inMemoryPorts,
  SteppingClock,
  ssoRole,
} from './in-memory-ports.js';
