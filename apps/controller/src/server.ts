/**
 * The HTTP side of the service: `/metrics` (Prometheus), `/healthz` (alive), `/readyz` (config
 * loaded and a pass finished), `/status` (JSON) and `/` (a small status page). GET only.
 *
 * Every answer carries helmet's security headers, a Content-Security-Policy that allows only the
 * page's own inline style (by its hash), and `Cache-Control: no-store` (what it shows is live). The
 * server bounds what a client can hold: the time to send the headers and the whole request, an idle
 * keep-alive connection, and the number of connections (see HTTP_LIMITS).
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import helmet from 'helmet';
import { lastPassJson, type StatusView, statusSummary } from './status.js';
import { PAGE_STYLE_HASH, statusPage } from './status-page.js';

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

export function createApp(deps: ServerDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        // Nothing but the page's own style: no script, no frame, no form, no other origin.
        directives: {
          defaultSrc: ["'none'"],
          styleSrc: [PAGE_STYLE_HASH],
          baseUri: ["'none'"],
          formAction: ["'none'"],
          frameAncestors: ["'none'"],
        },
      },
      // The server speaks plain HTTP inside the task's network; HSTS belongs to whatever terminates TLS.
      strictTransportSecurity: false,
    }),
  );
  app.use((_req, res, next) => {
    res.set('cache-control', 'no-store');
    next();
  });
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
      res
        .status(ready ? 200 : 503)
        .type('text/plain')
        .send(ready ? 'ready\n' : 'not ready: no pass has finished yet\n');
    },
    '/status': (_req, res) => {
      const view = deps.status();
      res.json({ ...view, lastPass: lastPassJson(view.lastPass), clusters: statusSummary(view.lastPass) });
    },
    '/': (_req, res) => {
      res.type('html').send(statusPage(deps.status()));
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

/** What one client may hold of the server. */
export interface HttpLimits {
  /** Time to send the whole request head; a client trickling headers is answered 408 and dropped. */
  readonly headersTimeoutMs: number;
  /** Time to send the whole request (head and body). */
  readonly requestTimeoutMs: number;
  /** How long an idle keep-alive connection is kept. */
  readonly keepAliveTimeoutMs: number;
  /** Connections open at once; more are closed at once (scrapers and probes need a handful). */
  readonly maxConnections: number;
}

/** The defaults: a scraper, two probes and a person are served with room to spare, and a slow or stuck client cannot hold a connection long. */
export const HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 128,
};

/** Where `run` listens unless `--listen` says otherwise. */
export const DEFAULT_LISTEN = '0.0.0.0:9090';

/** `HOST:PORT`, `:PORT` or `PORT`. */
export function parseListen(text: string): Listen | undefined {
  const match = /^(?:(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]*):)?([0-9]{1,5})$/.exec(text);
  if (match === null) return undefined;
  const port = Number(match[2]);
  if (port > 65_535) return undefined;
  const host = match[1] === undefined || match[1] === '' ? '0.0.0.0' : match[1].replace(/^\[|\]$/g, '');
  return { host, port };
}

export async function listen(app: Express, where: Listen, limits: Partial<HttpLimits> = {}): Promise<{ server: Server; url: string }> {
  const { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs, maxConnections } = { ...HTTP_LIMITS, ...limits };
  const server = createServer(
    {
      headersTimeout: headersTimeoutMs,
      requestTimeout: Math.max(requestTimeoutMs, headersTimeoutMs),
      keepAliveTimeout: keepAliveTimeoutMs,
      // Node looks for requests past their time only this often (30 s by default): often enough that
      // the header timeout is what a client gets, not the timeout plus half a minute.
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(headersTimeoutMs / 4))),
    },
    app,
  );
  server.maxConnections = maxConnections;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(where.port, where.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { server, url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}` };
}
