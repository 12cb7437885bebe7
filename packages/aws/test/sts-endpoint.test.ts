import { describe, expect, it } from 'vitest';
import { stsHostname } from '../src/sts-endpoint.js';

describe('stsHostname', () => {
  it.each([
    ['eu-west-1', 'sts.eu-west-1.amazonaws.com'],
    ['us-gov-west-1', 'sts.us-gov-west-1.amazonaws.com'],
    ['cn-north-1', 'sts.cn-north-1.amazonaws.com.cn'],
  ])('%s → %s', (region, host) => {
    expect(stsHostname(region)).toBe(host);
  });

  it('refuses what is not a region, so no token is ever signed for a made-up host', () => {
    expect(() => stsHostname('evil.example.com/x')).toThrow(RangeError);
  });
});
