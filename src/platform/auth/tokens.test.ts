import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AccessTokens } from './tokens.js';

const claims = { sub: 'u1', sid: 's1', role: 'patient' as const };

test('a verified token is answered from the cache until it expires, then refused as expired', async () => {
  const tokens = new AccessTokens('a-secret-of-enough-length-for-hs256-000000', 1);
  const token = tokens.sign(claims);
  const first = tokens.verify(token);
  assert.equal(first.sub, 'u1');
  assert.equal(tokens.verify(token), first, 'the second verification is the cached claims');
  assert.ok(Object.isFrozen(first), 'cached claims cannot be changed by a caller');
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  assert.throws(() => tokens.verify(token), /expired/);
});

test('a cached token does not vouch for a tampered copy or a token of another key', () => {
  const tokens = new AccessTokens('a-secret-of-enough-length-for-hs256-000000', 60);
  const token = tokens.sign(claims);
  tokens.verify(token);
  const [header, payload, signature] = token.split('.');
  const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), role: 'admin' })).toString('base64url');
  assert.throws(() => tokens.verify(`${header}.${forged}.${signature}`), /invalid/);
  const other = new AccessTokens('another-secret-of-enough-length-for-hs256-0', 60);
  assert.throws(() => other.verify(token), /invalid/);
});
