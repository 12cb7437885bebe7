/** Tells the user why a command failed (usage, a bad file, their mistake, or ours) and returns exit 1. */
import { ConfigError, isHubError, listConfigIssues } from '@eks-auth-hub/core';
import { EXIT_ERROR } from './exit-codes.js';
import type { CliIo } from './io.js';
import { USAGE } from './usage.js';
import { UsageError } from './usage-error.js';

export function reportError(error: unknown, io: CliIo): number {
  if (error instanceof UsageError) {
    io.stderr(`error: ${error.message}\n\n${USAGE}`);
  } else if (error instanceof ConfigError) {
    for (const line of listConfigIssues(error.issues)) io.stderr(line);
    const count = error.issues.length === 1 ? '1 problem' : `${error.issues.length} problems`;
    io.stderr(`${error.issues[0]?.location.file ?? 'config'}: ${count}; nothing was changed`);
  } else if (isHubError(error) && error.kind === 'user') {
    io.stderr(`error: ${error.message}`);
  } else {
    // Not the user's fault: say so, without a stack trace unless asked for.
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`internal error: ${message}`);
    if (process.env['EKS_AUTH_HUB_DEBUG'] === '1' && error instanceof Error && error.stack !== undefined) io.stderr(error.stack);
  }
  return EXIT_ERROR;
}
