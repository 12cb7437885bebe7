/** HTTP for the tests: one request with a timeout, and a scrape of a service's /metrics. */
import { type Exposition, parseExposition } from './exposition.js';

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

export async function http(url: string, init: RequestInit = {}): Promise<HttpAnswer> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

export async function scrape(baseUrl: string): Promise<{ text: string; exposition: Exposition; contentType: string }> {
  const answer = await http(`${baseUrl}/metrics`);
  if (answer.status !== 200) throw new Error(`/metrics answered ${answer.status}: ${answer.body}`);
  return { text: answer.body, exposition: parseExposition(answer.body), contentType: answer.headers.get('content-type') ?? '' };
}
