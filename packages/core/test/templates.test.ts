import { describe, expect, it } from 'vitest';
import { parseDuration } from '../src/duration.js';
import { checkMappedName, checkUserName } from '../src/templates.js';

describe('checkMappedName', () => {
  it.each([
    'admin',
    'admin:{{SessionName}}',
    '{{AccountID}}:{{SessionNameRaw}}:{{AccessKeyID}}',
    'system:node:{{EC2PrivateDNSName}}',
    'système:ünïcode',
    'a{b}c',
  ])('accepts %s', (value) => {
    expect(checkMappedName(value, 'username')).toBeUndefined();
  });

  it.each([
    ['', 'must not be empty'],
    [' admin', 'white space'],
    ['a\nb', 'U+000A'],
    ['a\tb', 'U+0009'],
    ['a\u0000b', 'U+0000'],
    ['a\u2028b', 'U+2028'],
    ['a\u0085b', 'U+0085'],
    ['\ufeffadmin', 'U+FEFF'],
    ['ad\u200bmin', 'the invisible character U+200B'],
    ['ad\u202emin', 'the bidirectional control character U+202E'],
    ['admin\u{e0041}', 'the invisible character U+E0041'],
    ['a\ud800b', 'the unpaired surrogate U+D800'],
    ['{{SessionId}}', 'unknown template {{SessionId}}'],
    ['{{ SessionName }}', 'unknown template {{ SessionName }}'],
    ['{{sessionname}}', 'unknown template {{sessionname}}'],
    ['{{SessionName', 'without a closing'],
    ['SessionName}}', 'without a matching'],
    ['}}{{SessionName}}', 'without a matching'],
    ['{{{SessionName}}}', 'unknown template'],
    ['x'.repeat(257), 'longer than 256'],
  ])('refuses %j', (value, reason) => {
    expect(checkMappedName(value, 'group')).toContain(reason);
  });
});

describe('checkUserName', () => {
  it.each(['alice', 'alice-{{AccountID}}', 'breakglass-{{AccessKeyID}}', 'SessionName', '{{ SessionName }}'])('accepts %s', (value) => {
    expect(checkUserName(value)).toBeUndefined();
  });

  // The authenticator makes these from the session name, which an IAM user's identity does not have.
  it.each([
    ['alice:{{SessionName}}', 'username uses {{SessionName}}, which the authenticator makes from the session name'],
    ['{{SessionNameRaw}}', 'username uses {{SessionNameRaw}}'],
    ['node:{{EC2PrivateDNSName}}', 'username uses {{EC2PrivateDNSName}}'],
    ['{{AccountID}}:{{SessionName}}', 'allowed templates for a user: {{AccountID}}, {{AccessKeyID}}'],
  ])('refuses %j', (value, reason) => {
    expect(checkUserName(value)).toContain(reason);
  });
});

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['10m', 600_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['2h', 7_200_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '10', 'm', '1.5h', '-1m', '10 m', '1d'])('%j is not a duration', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});
