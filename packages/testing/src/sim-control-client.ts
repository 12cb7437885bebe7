/** The control API of a simulator in another process (`<awsEndpoint>/_sim/…`), over HTTP. */

export class SimControlClient {
  /** `awsEndpoint`: the simulator's AWS endpoint, as its first line gives it. */
  constructor(private readonly awsEndpoint: string) {}

  /** One control call; its JSON answer (throws on an HTTP error with the answer's text). */
  async call<T>(method: string, path: string, body?: unknown, query?: Record<string, string>): Promise<T> {
    const url = `${this.awsEndpoint}/_sim/${path}${query === undefined ? '' : `?${new URLSearchParams(query).toString()}`}`;
    const res = await fetch(url, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} /_sim/${path}: HTTP ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }
}
