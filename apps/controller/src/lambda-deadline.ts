/** The deadline of a pass in a Lambda invocation: `hub.passTimeout`, or sooner when the function would time out first. */
import { type DesiredState, HubError } from '@eks-auth-hub/core';
import { type PassDeadline, passDeadline } from './deadline.js';

/** What the handler uses of Lambda's context object. */
export interface LambdaContextLike {
  getRemainingTimeInMillis(): number;
}

/** Time kept back from the function's timeout to end the pass, log it and answer (the pass ends this long before Lambda would kill it). */
export const LAMBDA_RESERVE_MS = 5_000;

/**
 * The pass's deadline in an invocation: `hub.passTimeout`, or sooner when the function would time out
 * first (its remaining time less LAMBDA_RESERVE_MS, or half of it when less is left).
 */
export function lambdaPassDeadline(state: DesiredState, context: LambdaContextLike | undefined): PassDeadline {
  const remaining = context?.getRemainingTimeInMillis();
  if (remaining === undefined || !Number.isFinite(remaining)) return passDeadline(state.hub.passTimeoutMs, state.hub.passTimeout);
  const usable = remaining > 2 * LAMBDA_RESERVE_MS ? remaining - LAMBDA_RESERVE_MS : Math.floor(remaining / 2);
  if (usable >= state.hub.passTimeoutMs) return passDeadline(state.hub.passTimeoutMs, state.hub.passTimeout);
  const left = Math.round(remaining / 1000);
  return passDeadline(
    usable,
    state.hub.passTimeout,
    Date.now(),
    () =>
      new HubError(
        'transient',
        'pass.timeout',
        `the Lambda function was about to time out (${left} s were left when the invocation started) before this was done; the next invocation does it`,
      ),
  );
}
