/**
 * The root error of the hub. Every error the hub raises on purpose is a HubError:
 * - `kind` says who can fix it: `user` (the file, a flag, live content), `transient`
 *   (retry later: throttling, 5xx, conflicts), `terminal` (retrying will not help: access denied,
 *   not found).
 * - `code` is stable and machine-readable (metrics, logs, tests match on it); error-code.ts lists them.
 * - `cause` keeps the underlying error for debugging; it is never shown to users as a stack.
 */
import type { ErrorCode } from './error-code.js';

export type ErrorKind = 'user' | 'transient' | 'terminal';

export interface HubErrorOptions {
  readonly cause?: unknown;
}

export class HubError extends Error {
  readonly kind: ErrorKind;
  readonly code: ErrorCode;

  constructor(kind: ErrorKind, code: ErrorCode, message: string, options: HubErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HubError';
    this.kind = kind;
    this.code = code;
  }
}

/** A place in a source file, 1-based. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** One problem found in a desired-state file. */
export interface ConfigIssue {
  readonly location: SourceLocation;
  /** Field path as written, e.g. `clusters[0].mapRoles[2].rolearn`; empty for the document. */
  readonly path: string;
  readonly message: string;
}

export function formatConfigIssue(issue: ConfigIssue): string {
  const where = `${issue.location.file}:${issue.location.line}:${issue.location.column}`;
  return issue.path === '' ? `${where}: ${issue.message}` : `${where}: ${issue.path}: ${issue.message}`;
}

/** Problems listed at most (a file of garbage has thousands); the rest are counted on one more line. */
export const MAX_LISTED_ISSUES = 40;

/** The issues as `file:line:col: path: message` lines: the first MAX_LISTED_ISSUES, then a count of the rest. */
export function listConfigIssues(issues: readonly ConfigIssue[]): string[] {
  const lines = issues.slice(0, MAX_LISTED_ISSUES).map(formatConfigIssue);
  const rest = issues.length - lines.length;
  const next = issues[lines.length];
  if (next !== undefined) lines.push(`${next.location.file}: ... and ${rest} more problem${rest === 1 ? '' : 's'} after these`);
  return lines;
}

/** The desired-state file is invalid; `issues` holds every problem found, in file order. */
export class ConfigError extends HubError {
  readonly issues: readonly ConfigIssue[];

  constructor(file: string, issues: readonly ConfigIssue[]) {
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super('user', 'config.invalid', `${file}: ${count}\n${listConfigIssues(issues).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

export function isHubError(value: unknown): value is HubError {
  return value instanceof HubError;
}

/** The object changed since it was read (HTTP 409): re-read and re-plan. */
export class ConflictError extends HubError {
  constructor(message: string, options: HubErrorOptions = {}) {
    super('transient', 'kube.conflict', message, options);
    this.name = 'ConflictError';
  }
}

/**
 * The hub cannot act in an account at all: its role there cannot be assumed (or a new session was
 * refused). Every cluster of the account fails with this error's code; an account whose session
 * fails is never read as an account with an empty or partial listing.
 */
export class SessionError extends HubError {
  constructor(code: ErrorCode, message: string, options: HubErrorOptions = {}) {
    super('terminal', code, message, options);
    this.name = 'SessionError';
  }
}

/** The kind, code and message of any error, for reports; never a stack. */
export function describeError(error: unknown): { readonly kind: ErrorKind; readonly code: ErrorCode; readonly message: string } {
  if (error instanceof HubError) return { kind: error.kind, code: error.code, message: error.message };
  return { kind: 'terminal', code: 'internal', message: error instanceof Error ? error.message : String(error) };
}
