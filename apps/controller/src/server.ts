/**
 * The HTTP side of the service: `/metrics` (Prometheus), `/healthz` (alive), `/readyz` (config
 * loaded and a pass finished), `/status` (JSON) and `/` (a small status page). GET only.
 */
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import { lastPassJson, reasonOf, statusSummary, type StatusView } from './status.js';

export interface ServerDeps {
  /** The metrics in the text format, a chunk at a time (HubMetrics). */
  readonly metrics: { readonly contentType: string; exposition(): AsyncIterable<string> };
  readonly status: () => StatusView;
}

/** Writes the chunks as the client takes them (a scrape of thousands of clusters is megabytes). */
async function stream(res: ServerResponse, chunks: AsyncIterable<string>): Promise<void> {
  for await (const chunk of chunks) {
    if (res.destroyed) return;
    if (!res.write(chunk)) {
      const drained = await new Promise<boolean>((resolve) => {
        const done = (ok: boolean): void => {
          res.off('drain', onDrain);
          res.off('close', onClose);
          resolve(ok);
        };
        const onDrain = (): void => done(true);
        const onClose = (): void => done(false);
        res.once('drain', onDrain);
        res.once('close', onClose);
      });
      if (!drained) return;
    }
  }
  res.end();
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

function page(view: StatusView): string {
  const rows = (view.lastPass?.clusters ?? [])
    .map((c) => [c.name, c.account, c.region, c.outcome, c.added + c.removed + c.changed, c.error?.code ?? '', reasonOf(c) ?? ''])
    .map((cells) => `<tr>${cells.map((cell) => `<td>${escapeHtml(String(cell))}</td>`).join('')}</tr>`)
    .join('\n');
  const last = view.lastPass;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>eks-auth-hub</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}</style>
</head><body>
<h1>eks-auth-hub</h1>
<p>${escapeHtml(view.config.file)}: ${view.config.clusters} clusters · passes: ${view.passes} · last pass: ${escapeHtml(last?.finishedAt ?? 'none yet')} · next: ${escapeHtml(view.nextPassAt ?? '-')}</p>
${stalledHtml(view)}
<table><thead><tr><th>cluster</th><th>account</th><th>region</th><th>outcome</th><th>changes</th><th>error</th><th>reason</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<p><a href="/status">status (JSON)</a> · <a href="/metrics">metrics</a></p>
</body></html>
`;
}

/** "stalled since …" and what the pass is waiting for; empty while the service is live. */
function stalledHtml(view: StatusView): string {
  if (view.stalled === null) return '';
  const calls = view.inFlight.map((c) => `<li>${escapeHtml(`${c.operation} ${c.target} since ${c.since}`)}</li>`).join('');
  return `<p><strong>stalled since ${escapeHtml(view.stalled.since)}</strong>: ${escapeHtml(view.stalled.reason)}</p>${calls === '' ? '' : `<ul>${calls}</ul>`}`;
}

export function createApp(deps: ServerDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const routes: Record<string, express.RequestHandler> = {
    '/metrics': async (_req, res) => {
      res.set('content-type', deps.metrics.contentType);
      await stream(res, deps.metrics.exposition());
    },
    '/healthz': (_req, res) => {
      // Alive means passes still start and end: a stalled loop is not alive, however well it answers HTTP.
      const stalled = deps.status().stalled;
      if (stalled === null) res.type('text/plain').send('ok\n');
      else res.status(503).type('text/plain').send(`stalled since ${stalled.since}: ${stalled.reason}\n`);
    },
    '/readyz': (_req, res) => {
      const ready = deps.status().ready;
      res.status(ready ? 200 : 503).type('text/plain').send(ready ? 'ready\n' : 'not ready: no pass has finished yet\n');
    },
    '/status': (_req, res) => {
      const view = deps.status();
      res.json({ ...view, lastPass: lastPassJson(view.lastPass), clusters: statusSummary(view.lastPass) });
    },
    '/': (_req, res) => {
      res.type('html').send(page(deps.status()));
    },
  };
  app.use((req, res, next) => {
    const handler = routes[req.path];
    if (handler === undefined) {
      res.status(404).type('text/plain').send('not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.status(405).set('allow', 'GET, HEAD').type('text/plain').send('method not allowed\n');
      return;
    }
    Promise.resolve(handler(req, res, next)).catch(next);
  });
  return app;
}

export interface Listen {
  readonly host: string;
  readonly port: number;
}

/** `HOST:PORT`, `:PORT` or `PORT`. */
export function parseListen(text: string): Listen | undefined {
  const match = /^(?:(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]*):)?([0-9]{1,5})$/.exec(text);
  if (match === null) return undefined;
  const port = Number(match[2]);
  if (port > 65_535) return undefined;
  const host = match[1] === undefined || match[1] === '' ? '0.0.0.0' : match[1].replace(/^\[|\]$/g, '');
  return { host, port };
}

export async function listen(app: Express, where: Listen): Promise<{ server: Server; url: string }> {
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(where.port, where.host, (error?: Error) => (error === undefined ? resolve(s) : reject(error)));
    s.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { server, url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}` };
}
