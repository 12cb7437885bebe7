/**
 * SigV4 signing keys: the derivation (four HMACs of the secret, the date, the region and the
 * service) and the bounded cache that is all the simulator keeps between the requests it verifies.
 */
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { LRUCache } from 'lru-cache';

export const KEY_TYPE_IDENTIFIER = 'aws4_request';

/** `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`. */
export function deriveSigningKey(secretAccessKey: string, shortDate: string, region: string, service: string): Buffer {
  const kDate = createHmac('sha256', `AWS4${secretAccessKey}`).update(shortDate).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  return createHmac('sha256', kService).update(KEY_TYPE_IDENTIFIER).digest();
}

/**
 * Derived signing keys, bounded (least recently used go first), each under the secret, the date,
 * the region and the service it derives from: a key is only ever reused for exactly those four.
 */
export class SigningKeyCache {
  private readonly keys: LRUCache<string, KeyObject>;
  private hitCount = 0;
  private missCount = 0;

  constructor(readonly max = 4096) {
    this.keys = new LRUCache<string, KeyObject>({ max });
  }

  /** The signing key, as a KeyObject for `createHmac`. */
  key(secretAccessKey: string, shortDate: string, region: string, service: string): KeyObject {
    // Length-prefixed parts, the secret last: two different quadruples never share an entry.
    const id = `${shortDate.length}:${shortDate}${region.length}:${region}${service.length}:${service}${secretAccessKey}`;
    const cached = this.keys.get(id);
    if (cached !== undefined) {
      this.hitCount += 1;
      return cached;
    }
    this.missCount += 1;
    const key = createSecretKey(deriveSigningKey(secretAccessKey, shortDate, region, service));
    this.keys.set(id, key);
    return key;
  }

  get size(): number {
    return this.keys.size;
  }

  get hits(): number {
    return this.hitCount;
  }

  get misses(): number {
    return this.missCount;
  }

  clear(): void {
    this.keys.clear();
  }
}

/** The simulator's signing keys (sessions of every account in every region and service of a large world). */
export const signingKeys = new SigningKeyCache();
