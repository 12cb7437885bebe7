/** The pass's deadline: whether it has passed, why work it cut short did not finish, and never waiting past it. */
import { HubError } from '../errors.js';

/** Whether the pass's deadline has passed (a function: TypeScript would narrow a property read once). */
export function pastDeadline(deadline: AbortSignal | undefined): boolean {
  return deadline?.aborted === true;
}

/** Why work cut short by `deadline` did not finish: its reason when that is a HubError, else `pass.timeout`. */
export function passEnded(deadline: AbortSignal | undefined): HubError {
  const reason: unknown = deadline?.reason;
  if (reason instanceof HubError) return reason;
  return new HubError(
    'transient',
    'pass.timeout',
    'the pass reached its deadline (hub.passTimeout) before this was done; the next pass does it',
  );
}

/**
 * `work`, or its end when `deadline` aborts first (rejected with passEnded): the pass never waits on
 * a call past its deadline, even one that ignores the signal it was given.
 */
export function until<T>(deadline: AbortSignal | undefined, work: Promise<T>): Promise<T> {
  if (deadline === undefined) return work;
  if (deadline.aborted) {
    work.catch(() => undefined);
    return Promise.reject(passEnded(deadline));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(passEnded(deadline));
    deadline.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        deadline.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        deadline.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
