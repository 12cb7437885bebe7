/** What the other packages use of @eks-auth-hub/aws: explicit names, nothing more (internals are imported from their modules). */
export { MAX_AWS_ANSWER_BYTES, MAX_KUBE_ANSWER_BYTES } from './bounded-answers.js';
export type { Credentials } from './cluster-token.js';
export { execCredential, mintClusterToken } from './cluster-token.js';
export { ALLOWED_ENDPOINT_HOSTS_ENV } from './endpoint-hosts.js';
export { KubeAgents } from './kube-agents.js';
export type { AwsPorts } from './ports.js';
export { createAwsPorts } from './ports.js';
export type { RequestObserver, SdkOptions } from './sdk-options.js';
export { clientSettings, serviceClientSettings } from './sdk-options.js';
export type { SessionCredentials } from './sessions.js';
export { REFRESH_REASONS } from './sessions.js';
export type { TokenCredentialsOptions } from './token-credentials.js';
export { tokenCredentials } from './token-credentials.js';
