/** What reading live aws-auth content found odd: content the authenticator drops or misreads (errors), or reads oddly written (warnings). */

export type LiveProblemSeverity = 'error' | 'warning';

export interface LiveProblem {
  readonly key: string;
  /** Index of the entry within the key's list, when the problem concerns one entry. */
  readonly index?: number;
  readonly severity: LiveProblemSeverity;
  readonly message: string;
  /**
   * Set when the authenticator reads the entry but not as written (an unquoted `0o17` username is
   * the integer 15, which leaves its Go string empty): the entry's key. The entry is reported as the
   * authenticator sees it; a write that puts the file's own entry in its place repairs it.
   */
  readonly misreadEntry?: string;
}
