/**
 * A pass's deadline: one AbortSignal that aborts at `hub.passTimeout` (reason `pass.timeout`), or
 * earlier when the hub must stop now (reason `hub.stopping`). reconcile gives it to every port call,
 * so whatever hangs, the pass ends.
 */
import { setMaxListeners } from 'node:events';
import { HubError } from '@eks-auth-hub/core';

export interface PassDeadline {
  readonly signal: AbortSignal;
  /** When the pass times out. */
  readonly at: Date;
  /** Ends the pass now with `reason` (calls in flight are aborted). */
  end(reason: HubError): void;
  /** The pass is over: clears the timer. */
  dispose(): void;
}

export function passTimedOut(timeoutText: string): HubError {
  return new HubError(
    'transient',
    'pass.timeout',
    `the pass reached its deadline (hub.passTimeout ${timeoutText}) before this was done; the next pass does it`,
  );
}

export function stopping(): HubError {
  return new HubError('transient', 'hub.stopping', 'the hub was stopped before this was done; the next pass does it');
}

/** A deadline `timeoutMs` from `now`, aborting with `reason` (default passTimedOut); the timer does not keep the process alive. */
export function passDeadline(
  timeoutMs: number,
  timeoutText: string,
  now: number = Date.now(),
  reason: () => HubError = () => passTimedOut(timeoutText),
): PassDeadline {
  const controller = new AbortController();
  // Every call and cluster in flight listens to it (and stops listening when it ends): hundreds at once
  // is what it is for, not a leak to warn about.
  setMaxListeners(0, controller.signal);
  const timer = setTimeout(() => controller.abort(reason()), timeoutMs);
  timer.unref();
  return {
    signal: controller.signal,
    at: new Date(now + timeoutMs),
    end(reason) {
      clearTimeout(timer);
      if (!controller.signal.aborted) controller.abort(reason);
    },
    dispose() {
      clearTimeout(timer);
    },
  };
}
