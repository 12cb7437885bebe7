/**
 * The desired-state file under `run`: read at start, then looked at (one stat) before every pass and
 * read again when its size or modification time changed. A new version is used only when it is valid;
 * an invalid one is reported (its located problems in the log, the reload metrics at 0) and the last
 * good version stays in force, as Prometheus does with its own configuration. A deleted file keeps the
 * last good version too, and says so. Nothing is read again while the file stays as it was, so a
 * broken file is reported once, not every pass.
 *
 * Metrics (on the hub's registry):
 *   eks_auth_hub_config_last_reload_successful                 1 when the last look found a usable file
 *   eks_auth_hub_config_last_reload_success_timestamp_seconds  when a version was last loaded (or found unchanged)
 *   eks_auth_hub_config_reloads_total{result}                  reloads, by result (success, failure)
 *   eks_auth_hub_config_info{file,hash}                        1 for the version in force (SHA-256 of its bytes, 16 hex)
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { ConfigError, type DesiredState, isHubError, listConfigIssues, loadDesiredState } from '@eks-auth-hub/core';
import { Counter, Gauge, type Registry } from 'prom-client';
import { readConfigBytes } from './config-file.js';
import type { Logger } from './logging.js';

/** The version of the file in force, as `/status` shows it: the file's name, never this machine's path. */
export interface ConfigVersion {
  readonly file: string;
  /** SHA-256 of the file's bytes (hex). */
  readonly fileHash: string;
  readonly loadedAt: string;
}

export interface ConfigReload {
  readonly at: string;
  readonly successful: boolean;
  /** Why the last look did not load the file (first problems only); absent when it did. */
  readonly problem?: string;
  /** The file was gone at the last look: the last good version is in force. */
  readonly missing?: boolean;
}

export interface ConfigWatchStatus extends ConfigVersion {
  readonly lastReload: ConfigReload;
}

/** Problems shown in `/status` and on the page (all of them are in the log). */
const PROBLEMS_SHOWN = 3;
const PROBLEM_CHARS = 600;

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function problemOf(error: unknown): { summary: string; lines: readonly string[] } {
  if (error instanceof ConfigError) {
    const lines = listConfigIssues(error.issues);
    const count = error.issues.length === 1 ? '1 problem' : `${error.issues.length} problems`;
    // Located by line and column only: the file's path stays out of /status.
    const shown = error.issues
      .slice(0, PROBLEMS_SHOWN)
      .map((i) => `${i.location.line}:${i.location.column}: ${i.path === '' ? '' : `${i.path}: `}${i.message}`);
    return { summary: `${count}: ${shown.join('; ')}`.slice(0, PROBLEM_CHARS), lines };
  }
  const message = isHubError(error) || error instanceof Error ? error.message : String(error);
  return { summary: message.slice(0, PROBLEM_CHARS), lines: [message] };
}

interface Seen {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
}

export class ConfigWatcher {
  private inForce: { state: DesiredState; fileHash: string; loadedAt: Date };
  private seen: Seen | undefined;
  private reload: ConfigReload;
  private readonly successful: Gauge;
  private readonly successTime: Gauge;
  private readonly reloads: Counter<'result'>;
  private readonly info: Gauge<'file' | 'hash'>;

  private constructor(
    readonly file: string,
    first: { state: DesiredState; fileHash: string; seen: Seen },
    private readonly logger: Logger,
    registry: Registry,
  ) {
    const now = new Date();
    this.inForce = { state: first.state, fileHash: first.fileHash, loadedAt: now };
    this.seen = first.seen;
    this.reload = { at: now.toISOString(), successful: true };
    const registers = [registry];
    const p = 'eks_auth_hub_config_';
    this.successful = new Gauge({
      name: `${p}last_reload_successful`,
      help: 'Whether the last look at the desired-state file found it usable (1) or invalid or gone (0; the last good version stays in force).',
      registers,
    });
    this.successTime = new Gauge({
      name: `${p}last_reload_success_timestamp_seconds`,
      help: 'When the desired-state file was last loaded or found unchanged after a failed look.',
      registers,
    });
    this.reloads = new Counter({
      name: `${p}reloads_total`,
      help: 'Loads of a changed desired-state file, by result (success, failure).',
      labelNames: ['result'],
      registers,
    });
    this.info = new Gauge({
      name: `${p}info`,
      help: 'The desired-state file in force: its name and the SHA-256 of its bytes (16 hex digits); always 1.',
      labelNames: ['file', 'hash'],
      registers,
    });
    for (const result of ['success', 'failure']) this.reloads.inc({ result }, 0);
    this.successful.set(1);
    this.successTime.set(now.getTime() / 1000);
    this.setInfo();
  }

  /** Reads and validates the file (throws the user-facing error when it is not usable) and watches it from then on. */
  static async open(file: string, logger: Logger, registry: Registry): Promise<ConfigWatcher> {
    const before = await stat(file).catch(() => undefined);
    const read = await readConfigBytes(file);
    const result = loadDesiredState(read.bytes, file);
    if (!result.ok) throw result.error;
    const seen = { size: read.size, mtimeMs: read.mtimeMs, ino: before?.ino ?? 0 };
    return new ConfigWatcher(file, { state: result.state, fileHash: sha256(read.bytes), seen }, logger, registry);
  }

  /** The desired state in force. */
  get state(): DesiredState {
    return this.inForce.state;
  }

  private setInfo(): void {
    this.info.reset();
    this.info.set({ file: basename(this.file), hash: this.inForce.fileHash.slice(0, 16) }, 1);
  }

  private failed(problem: string, missing: boolean): void {
    this.reload = { at: new Date().toISOString(), successful: false, problem, ...(missing ? { missing: true } : {}) };
    this.successful.set(0);
  }

  private succeeded(now: Date): void {
    this.reload = { at: now.toISOString(), successful: true };
    this.successful.set(1);
    this.successTime.set(now.getTime() / 1000);
  }

  /**
   * Looks at the file (a stat) and loads it when it changed; returns the state in force. Never
   * throws: a file that cannot be used is reported and the last good version returned.
   */
  async current(): Promise<DesiredState> {
    let stats;
    try {
      stats = await stat(this.file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      if (this.reload.missing !== true) {
        this.logger.error(
          { config: this.file, code, inForce: this.inForce.fileHash.slice(0, 16) },
          'desired-state file gone; the last good version stays in force',
        );
        this.reloads.inc({ result: 'failure' });
      }
      this.failed(
        code === 'ENOENT'
          ? 'the file is gone; the last good version stays in force'
          : `cannot look at the file (${code}); the last good version stays in force`,
        true,
      );
      this.seen = undefined;
      return this.inForce.state;
    }
    const seen = this.seen;
    if (seen !== undefined && seen.size === stats.size && seen.mtimeMs === stats.mtimeMs && seen.ino === stats.ino)
      return this.inForce.state;
    this.seen = { size: stats.size, mtimeMs: stats.mtimeMs, ino: stats.ino };
    const now = new Date();
    let bytes: Uint8Array;
    try {
      bytes = (await readConfigBytes(this.file)).bytes;
    } catch (error) {
      return this.refuse(error);
    }
    const fileHash = sha256(bytes);
    if (fileHash === this.inForce.fileHash) {
      // Touched, or put back as it was after a failed look: the version in force is the file again.
      if (!this.reload.successful) {
        this.logger.info(
          { config: this.file, hash: fileHash.slice(0, 16) },
          'desired-state file is usable again (unchanged from the version in force)',
        );
        this.succeeded(now);
      }
      return this.inForce.state;
    }
    const result = loadDesiredState(bytes, this.file);
    if (!result.ok) return this.refuse(result.error);
    const previous = this.inForce;
    this.inForce = { state: result.state, fileHash, loadedAt: now };
    this.succeeded(now);
    this.reloads.inc({ result: 'success' });
    this.setInfo();
    this.logger.info(
      {
        config: this.file,
        hash: fileHash.slice(0, 16),
        previous: previous.fileHash.slice(0, 16),
        clusters: result.state.clusters.length,
        desiredHash: result.state.hash,
      },
      'desired-state file reloaded',
    );
    const settings = (s: DesiredState): string =>
      JSON.stringify([s.hub.roleName, s.hub.externalId, s.hub.sessionName, s.hub.recoveryRoleName, s.hub.requestTimeoutMs]);
    if (settings(previous.state) !== settings(result.state)) {
      this.logger.warn(
        { config: this.file },
        'hub.roleName, externalId, sessionName, recoveryRoleName and requestTimeout take effect at the next start; the running hub keeps the ones it started with',
      );
    }
    return this.inForce.state;
  }

  private refuse(error: unknown): DesiredState {
    const { summary, lines } = problemOf(error);
    this.logger.error(
      { config: this.file, problems: lines, inForce: this.inForce.fileHash.slice(0, 16) },
      'desired-state file not reloaded: the last good version stays in force',
    );
    this.reloads.inc({ result: 'failure' });
    this.failed(summary, false);
    return this.inForce.state;
  }

  status(): ConfigWatchStatus {
    return {
      file: basename(this.file),
      fileHash: this.inForce.fileHash,
      loadedAt: this.inForce.loadedAt.toISOString(),
      lastReload: this.reload,
    };
  }
}
