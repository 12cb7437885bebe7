/** Reading the desired-state file from disk, for every mode (CLI, service, Lambda). */
import { readFile } from 'node:fs/promises';
import { HubError, loadDesiredState, type DesiredState } from '@eks-auth-hub/core';

/** Reads and validates the desired-state file, or throws a user-facing error. */
export async function loadConfigFile(file: string): Promise<DesiredState> {
  // Bytes, not text: the loader decodes strictly, so a file that is not UTF-8 is a located error
  // rather than replacement characters inside a username.
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (code ?? 'unreadable');
    throw new HubError('user', 'config.unreadable', `cannot read the desired-state file ${file}: ${why}`, { cause: error });
  }
  const result = loadDesiredState(bytes, file);
  if (!result.ok) throw result.error;
  return result.state;
}
