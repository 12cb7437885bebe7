/**
 * HTTPS agents for the clusters' API servers, one per certificate authority, keeping connections
 * alive between requests: the read, history, write and access check of one cluster share a
 * connection, and clusters behind one CA share a pool. TLS is always verified against the CA. Bounded
 * (least recently used CAs go first, their idle connections closed); idle connections close by
 * themselves after `idleMs`.
 */
import { Agent } from 'node:https';
import { LRUCache } from 'lru-cache';

export interface KubeAgentOptions {
  /** CAs (agents) kept at most (default 1,024). */
  readonly max?: number;
  /** An idle kept-alive connection is closed after this many ms (default 30 s). */
  readonly idleMs?: number;
}

export class KubeAgents {
  private readonly agents: LRUCache<string, Agent>;
  private readonly idleMs: number;

  constructor(options: KubeAgentOptions = {}) {
    this.idleMs = options.idleMs ?? 30_000;
    this.agents = new LRUCache<string, Agent>({ max: options.max ?? 1_024, dispose: (agent) => agent.destroy() });
  }

  /** The agent for servers whose certificates `caPem` signs. */
  forCa(caPem: string): Agent {
    let agent = this.agents.get(caPem);
    if (agent === undefined) {
      agent = new Agent({ ca: caPem, keepAlive: true, timeout: this.idleMs, scheduling: 'lifo' });
      this.agents.set(caPem, agent);
    }
    return agent;
  }

  get size(): number {
    return this.agents.size;
  }

  /** Closes every connection. */
  close(): void {
    this.agents.clear();
  }
}
