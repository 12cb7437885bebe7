/**
 * The Date header of the simulator's answers: the real clock (the one clients sign with, and
 * correct skew from), at the second, as `toUTCString` writes it. Written once per second, not per
 * answer.
 */
let second = Number.NaN;
let text = '';

export function httpDate(now: number = Date.now()): string {
  const current = Math.floor(now / 1000);
  if (current !== second) {
    second = current;
    text = new Date(now).toUTCString();
  }
  return text;
}
