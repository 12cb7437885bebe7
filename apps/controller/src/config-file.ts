/** Reading the desired-state file from disk, for every mode (CLI, service, Lambda). */
import { readFile } from 'node:fs/promises';
import { HubError, loadDesiredState, type DesiredState } from '@eks-auth-hub/core';

/** Reads and validates the desired-state file, or throws a user-facing error. */
export async function loadConfigFile(file: string): Promise<DesiredState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (code ?? 'unreadable');
    throw new HubError('user', 'config.unreadable', `cannot read the desired-state file ${file}: ${why}`, { cause: error });
  }
  const result = loadDesiredState(text, file);
  if (!result.ok) throw result.error;
  return result.state;
}
