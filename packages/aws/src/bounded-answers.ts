/**
 * Answers have limits. A real AWS API answers a hub's calls in kilobytes (a full ListRoles page of
 * 1,000 roles is a few megabytes at most) and a real API server never serves a ConfigMap over 1 MiB;
 * an endpoint that sends more is broken or hostile, and reading it whole could take the hub's heap.
 * So bodies are counted as they arrive and the request is torn down at the cap, before the rest is
 * read: the call fails with `aws.answer-too-large` or `kube.answer-too-large`, which fails that account
 * or cluster like any other terminal error.
 *
 * - AWS: a NodeHttpHandler whose response bodies are counted (`CappedNodeHttpHandler`).
 * - Kubernetes: client-node's HTTP library replaced by one over node:https that counts the body
 *   (`CappedKubeHttp`); it never follows a redirect (a 3xx is an answer like any other), so the
 *   bearer token goes nowhere but the endpoint checked before (endpoint-hosts.ts).
 */
import { request as httpsRequest } from 'node:https';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { HubError } from '@eks-auth-hub/core';
import { type PromiseHttpLibrary, type RequestContext, ResponseContext } from '@kubernetes/client-node';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { HttpRequest, HttpResponse } from '@smithy/protocol-http';

/** Largest AWS answer read: far above any answer to the hub's calls (ListRoles' 1,000 roles included). */
export const MAX_AWS_ANSWER_BYTES = 16 * 1024 * 1024;
/** Largest Kubernetes answer read: a 1 MiB ConfigMap as JSON (escapes, base64 binaryData, 256 KiB of annotations) fits well. */
export const MAX_KUBE_ANSWER_BYTES = 4 * 1024 * 1024;

function awsTooLarge(what: string, bytes: string, max: number, status: number | undefined): HubError {
  const error = new HubError(
    'terminal',
    'aws.answer-too-large',
    `${what}: the answer is ${bytes} bytes; the hub reads at most ${max} bytes of an AWS answer`,
  );
  // The SDK adds a hint to the message of an error without $metadata; this one says enough.
  return Object.assign(error, { $metadata: { httpStatusCode: status } });
}

/** Passes at most `max` bytes of `source` through; past that, destroys `source` and fails with `tooLarge`. */
function capped(source: Readable, max: number, tooLarge: () => Error): Transform {
  let seen = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback): void {
      seen += chunk.length;
      if (seen > max) {
        source.unpipe(counter);
        source.destroy();
        callback(tooLarge());
        return;
      }
      callback(null, chunk);
    },
  });
  source.on('error', (error) => counter.destroy(error));
  return source.pipe(counter);
}

/** The SDK's Node.js request handler, with every response body counted as it arrives. */
export class CappedNodeHttpHandler extends NodeHttpHandler {
  private readonly maxAnswerBytes: number;

  constructor(options: ConstructorParameters<typeof NodeHttpHandler>[0], maxAnswerBytes = MAX_AWS_ANSWER_BYTES) {
    super(options);
    this.maxAnswerBytes = maxAnswerBytes;
  }

  override async handle(request: HttpRequest, options?: Parameters<NodeHttpHandler['handle']>[1]): Promise<{ response: HttpResponse }> {
    const result = await super.handle(request, options);
    const { response } = result;
    const body = response.body as Readable | undefined;
    if (body === undefined || typeof body.pipe !== 'function') return result;
    const max = this.maxAnswerBytes;
    const what = `${request.method} ${request.hostname}${request.path}`;
    const declared = Number(response.headers['content-length'] ?? response.headers['Content-Length']);
    if (Number.isFinite(declared) && declared > max) {
      body.destroy();
      throw awsTooLarge(what, String(declared), max, response.statusCode);
    }
    response.body = capped(body, max, () => awsTooLarge(what, `more than ${max}`, max, response.statusCode));
    return result;
  }
}

function kubeTooLarge(url: string, bytes: string, max: number): HubError {
  return new HubError(
    'terminal',
    'kube.answer-too-large',
    `${new URL(url).pathname}: the answer is ${bytes} bytes; the hub reads at most ${max} bytes of a Kubernetes answer`,
  );
}

/**
 * The error of a request its signal ended (a timeout, the pass stopping), as client-node's own
 * library reports it: an `AbortError` (the signal's reason, a DOMException, carries a numeric `code`
 * that would read as an HTTP status).
 */
function aborted(reason: unknown): Error {
  const timedOut = reason instanceof Error && reason.name === 'TimeoutError';
  return Object.assign(new Error(timedOut ? 'the request timed out' : 'the request was aborted'), {
    name: 'AbortError',
    type: 'aborted',
    cause: reason,
  });
}

/** client-node's HTTP library, over node:https with the request's agent and signal, reading at most `max` bytes of a body. */
export class CappedKubeHttp implements PromiseHttpLibrary {
  constructor(private readonly maxAnswerBytes = MAX_KUBE_ANSWER_BYTES) {}

  send(request: RequestContext): Promise<ResponseContext> {
    const max = this.maxAnswerBytes;
    const url = request.getUrl();
    const signal = request.getSignal();
    const body = request.getBody();
    const text = body === undefined ? undefined : String(body);
    const headers: Record<string, string> = { ...request.getHeaders() };
    if (text !== undefined) headers['Content-Length'] = String(Buffer.byteLength(text));
    return new Promise<ResponseContext>((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(aborted(signal.reason));
        return;
      }
      const agent = request.getAgent();
      const req = httpsRequest(url, { method: request.getHttpMethod(), headers, ...(agent === undefined ? {} : { agent }) }, (res) => {
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > max) {
          fail(kubeTooLarge(url, String(declared), max));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > max) {
            fail(kubeTooLarge(url, `more than ${max}`, max));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', fail);
        res.on('aborted', () => fail(Object.assign(new Error('the connection closed before the answer ended'), { code: 'ECONNRESET' })));
        res.on('end', () => {
          if (done) return;
          done = true;
          signal?.removeEventListener('abort', onAbort);
          const answer = Buffer.concat(chunks, size);
          const flat: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers))
            if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
          resolve(
            new ResponseContext(res.statusCode ?? 0, flat, {
              text: () => Promise.resolve(answer.toString('utf8')),
              binary: () => Promise.resolve(answer),
            }),
          );
        });
      });
      let done = false;
      function fail(error: unknown): void {
        if (done) return;
        done = true;
        signal?.removeEventListener('abort', onAbort);
        req.destroy();
        reject(error);
      }
      function onAbort(): void {
        fail(aborted(signal?.reason));
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', fail);
      req.end(text);
    });
  }
}
