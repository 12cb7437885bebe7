/** What the other packages use of @eks-auth-hub/sim: explicit names, nothing more (internals are imported from their modules). */
export { verifyToken } from './authenticator.js';
export { AwsAuthReader, mapIdentity } from './aws-auth-reader.js';
export type { SimClusterRef } from './control.js';
export { GENERATED_MANAGEMENT_ACCOUNT, generatedAccountId, generatedPermissionSets, generateWorld, SPOKE_ROLE } from './generate.js';
export { Random } from './random.js';
export type { Simulator } from './simulator.js';
export { closeOnSignals, makeCertificates, startSimulator } from './simulator.js';
export { World } from './world.js';
export type { ConfigMapManifestInput, WorldFile, WorldFileInput } from './world-schema.js';
export { loadWorldFile, worldSchema } from './world-schema.js';
