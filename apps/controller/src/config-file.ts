/**
 * Reading the desired-state file from disk, for every mode (CLI, service, Lambda).
 *
 * Only a regular file is read (a symbolic link to one is fine): a FIFO, a device such as /dev/zero, a
 * socket or a directory is refused by name before a byte is read, and never more than the size limit
 * plus one byte is read, so a file that grows or never ends costs at most that much memory.
 */
import { constants, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { ConfigError, type DesiredState, HubError, loadDesiredState, MAX_FILE_BYTES } from '@eks-auth-hub/core';

/** What the file is when it is not a regular file, for the refusal. */
function kindOf(stats: Stats): string | undefined {
  if (stats.isFile()) return undefined;
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

function unreadable(file: string, why: string, cause?: unknown): HubError {
  return new HubError(
    'user',
    'config.unreadable',
    `cannot read the desired-state file ${file}: ${why}`,
    cause === undefined ? undefined : { cause },
  );
}

function errnoWhy(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT'
    ? 'no such file'
    : code === 'EISDIR'
      ? 'it is a directory'
      : code === 'EACCES'
        ? 'permission denied'
        : (code ?? 'unreadable');
}

/** The file's bytes and what identified them on disk. */
export interface ConfigBytes {
  readonly bytes: Uint8Array;
  readonly size: number;
  readonly mtimeMs: number;
}

/**
 * Reads at most `maxBytes` bytes of a regular file, or throws a user-facing error: a `config.unreadable`
 * HubError (missing, not a regular file, no permission) or a located `ConfigError` (too large).
 */
export async function readConfigBytes(file: string, maxBytes: number = MAX_FILE_BYTES): Promise<ConfigBytes> {
  // Look before opening: opening a FIFO for reading waits for a writer, for ever.
  let before: Stats;
  try {
    before = await stat(file);
  } catch (error) {
    throw unreadable(file, errnoWhy(error), error);
  }
  const kind = kindOf(before);
  if (kind !== undefined) throw unreadable(file, `it is ${kind}, not a regular file`);
  let handle;
  try {
    // O_NONBLOCK: should the name become a FIFO between the look and the open, the open still returns.
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw unreadable(file, errnoWhy(error), error);
  }
  try {
    const stats = await handle.stat();
    const now = kindOf(stats);
    if (now !== undefined) throw unreadable(file, `it is ${now}, not a regular file`);
    const tooLarge = (size: string): ConfigError =>
      new ConfigError(file, [
        {
          location: { file, line: 1, column: 1 },
          path: '',
          message: `the file is ${size} bytes; a desired-state file may hold at most ${maxBytes} bytes`,
        },
      ]);
    if (stats.size > maxBytes) throw tooLarge(String(stats.size));
    // One byte more than allowed tells a file that grew past the limit since the stat.
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) throw tooLarge(`more than ${maxBytes}`);
    }
    return { bytes: buffer.subarray(0, length), size: length, mtimeMs: stats.mtimeMs };
  } catch (error) {
    if (error instanceof HubError) throw error;
    throw unreadable(file, errnoWhy(error), error);
  } finally {
    await handle.close();
  }
}

/** Reads and validates the desired-state file, or throws a user-facing error. */
export async function loadConfigFile(file: string): Promise<DesiredState> {
  // Bytes, not text: the loader decodes strictly, so a file that is not UTF-8 is a located error
  // rather than replacement characters inside a username.
  const { bytes } = await readConfigBytes(file);
  const result = loadDesiredState(bytes, file);
  if (!result.ok) throw result.error;
  return result.state;
}
