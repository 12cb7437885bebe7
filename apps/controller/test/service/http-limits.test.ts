/**
 * The service's HTTP server against clients that misbehave, and the headers every answer carries:
 * `startHub` over real sockets with small limits, so a slow client's fate shows quickly.
 */
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningHub, startHub } from '../../src/run.js';
import { demoState, http, memoryLogger, sleep, useSimulator, waitFor } from './helpers.js';

useSimulator();
let hub: RunningHub;
const HEADERS_TIMEOUT_MS = 400;
const KEEP_ALIVE_MS = 1_000;
const MAX_CONNECTIONS = 4;

beforeAll(async () => {
  hub = await startHub({
    state: demoState(),
    listen: { host: '127.0.0.1', port: 0 },
    logger: memoryLogger('error').logger,
    intervalMs: 60_000,
    http: {
      headersTimeoutMs: HEADERS_TIMEOUT_MS,
      requestTimeoutMs: 1_000,
      keepAliveTimeoutMs: KEEP_ALIVE_MS,
      maxConnections: MAX_CONNECTIONS,
    },
  });
});

afterAll(async () => {
  await hub?.stop();
});

function open(): Promise<Socket> {
  const { hostname, port } = new URL(hub.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves when the server ends the connection, with what it sent before. */
function closed(socket: Socket): Promise<string> {
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
  });
  socket.on('error', () => undefined);
  return new Promise((resolve) => socket.once('close', () => resolve(received)));
}

describe('a client that holds the server', () => {
  it('sending its headers one byte at a time is answered 408 and dropped at the header timeout', async () => {
    const socket = await open();
    const ended = closed(socket);
    let open_ = true;
    void ended.then(() => {
      open_ = false;
    });
    const started = Date.now();
    // Never-ending headers, one byte every 20 ms: each byte alone would keep an idle timeout at bay.
    const head = `GET /healthz HTTP/1.1\r\nHost: x\r\n${`X-Slow: ${'a'.repeat(10_000)}`}`;
    let sent = 0;
    while (open_ && sent < head.length && Date.now() - started < 20_000) {
      socket.write(head[sent] ?? 'a');
      sent += 1;
      await sleep(20);
    }
    const received = await ended;
    const heldMs = Date.now() - started;
    expect(open_).toBe(false);
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
    // The header timeout plus Node's checking interval (a quarter of it), with room for a busy machine.
    expect(heldMs).toBeLessThan(HEADERS_TIMEOUT_MS * 5);
  });

  it('an idle keep-alive connection is closed after the keep-alive timeout', async () => {
    const socket = await open();
    const ended = closed(socket);
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    const received = await ended;
    expect(received).toMatch(/^HTTP\/1\.1 200 /);
    expect(received).toMatch(/\r\nkeep-alive: timeout=1\r\n/i);
  });

  it(`holds at most ${MAX_CONNECTIONS} connections: one more is closed at once, and served again once they are gone`, async () => {
    const idle = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => open()));
    await waitFor('the server to count them', () => new Promise<boolean>((resolve) => resolve(idle.every((s) => !s.destroyed))));
    const extra = await open().catch(() => undefined);
    if (extra !== undefined) {
      const received = await closed(extra);
      expect(received).toBe('');
    }
    for (const socket of idle) socket.destroy();
    // Each try on a new connection, bounded: the server may still be counting the closed ones.
    await waitFor(
      'a connection to be served again',
      async () =>
        (await fetch(`${hub.url}/healthz`, { headers: { connection: 'close' }, signal: AbortSignal.timeout(1_000) })).status === 200,
    );
  });
});

describe('headers on every answer', () => {
  it.each([
    ['/', 200],
    ['/status', 200],
    ['/healthz', 200],
    ['/readyz', undefined],
    ['/metrics', 200],
    ['/nowhere', 404],
  ])('%s', async (path, status) => {
    const answer = await http(`${hub.url}${path}`);
    if (status !== undefined) expect(answer.status).toBe(status);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    expect(answer.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(answer.headers.get('referrer-policy')).toBe('no-referrer');
    expect(answer.headers.get('content-security-policy')).toMatch(/^default-src 'none';/);
    expect(answer.headers.get('x-powered-by')).toBeNull();
  });

  it('a POST is refused with the same headers', async () => {
    const answer = await http(`${hub.url}/status`, { method: 'POST' });
    expect(answer.status).toBe(405);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.headers.get('content-security-policy')).toMatch(/^default-src 'none';/);
  });

  it("the status page's inline style is exactly what its CSP allows, and nothing else runs", async () => {
    const answer = await http(`${hub.url}/`);
    const styles = [...answer.body.matchAll(/<style>([^<]*)<\/style>/g)].map((m) => m[1] ?? '');
    expect(styles).toHaveLength(1);
    const csp = answer.headers.get('content-security-policy') ?? '';
    const styleSrc = csp
      .split(';')
      .map((d) => d.trim())
      .find((d) => d.startsWith('style-src '));
    expect(styleSrc).toBe(
      `style-src 'sha256-${createHash('sha256')
        .update(styles[0] ?? '')
        .digest('base64')}'`,
    );
    expect(csp).not.toContain('script-src');
    expect(answer.body).not.toMatch(/<script|style="/);
  });
});
