/**
 * Every code a HubError carries: a closed set, so a code compared in the core and made in an adapter
 * (or the controller) is checked by the compiler. The codes are user-visible (reports, logs, `/status`,
 * metrics labels): add one here when a new failure needs its own, never rename one.
 */
export type ErrorCode =
  // AWS APIs (packages/aws: errors.ts translates SDK errors; the adapters add their own checks).
  | 'aws.access-denied'
  | 'aws.answer-too-large'
  | 'aws.credentials'
  | 'aws.error'
  | 'aws.incomplete'
  | 'aws.network'
  | 'aws.not-found'
  | 'aws.page-too-large'
  | 'aws.partial-listing'
  | 'aws.throttled'
  | 'aws.timeout'
  | 'aws.unavailable'
  // The hub cannot enter an account: its role there cannot be assumed (a SessionError).
  | 'sts.role-unavailable'
  // A cluster's endpoint is not one the hub talks to (no token is made for it).
  | 'eks.endpoint_not_allowed'
  // A cluster the hub cannot manage through aws-auth (authentication mode API).
  | 'cluster.api-only'
  // The Kubernetes API (packages/aws: errors.ts translates client errors; the store adds its own checks).
  | 'kube.answer-too-large'
  | 'kube.configmap-too-large'
  | 'kube.conflict'
  | 'kube.forbidden'
  | 'kube.immutable'
  | 'kube.network'
  | 'kube.not-found'
  | 'kube.rejected'
  | 'kube.timeout'
  | 'kube.tls'
  | 'kube.unauthorized'
  | 'kube.unavailable'
  // The desired-state file and the command line.
  | 'config.invalid'
  | 'config.unknown-cluster'
  | 'config.unreadable'
  | 'history.no-version'
  | 'selection.invalid'
  | 'selection.unknown-account'
  // The hub itself: a pass cut short, the hub stopping, a write that would lock the hub out.
  | 'hub.lockout'
  | 'hub.stopping'
  | 'pass.timeout'
  // Anything thrown that is not a HubError (describeError).
  | 'internal';
