import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, ConfigError } from './config.js';

const base = { NODE_ENV: 'test' };

describe('config', () => {
  it('has the documented defaults', () => {
    const config = loadConfig(base);
    assert.equal(config.port, 8000);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.databaseUrl, null);
    assert.equal(config.rateLimitAuthPerMin, 10);
    assert.equal(config.rateLimitApiPerMin, 600);
    assert.equal(config.accessTokenTtlSeconds, 900);
  });

  const bad: [string, string][] = [
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['REDIS_URL', 'not a url'],
    ['JWT_SECRET', 'short'],
    ['LOG_LEVEL', 'loud'],
    ['SEED_DEMO', 'maybe'],
    ['RATE_LIMIT_AUTH_PER_MIN', '-1'],
    ['ADMIN_EMAIL', 'not-an-email'],
  ];
  for (const [name, value] of bad) {
    it(`names ${name} when it is invalid (${value})`, () => {
      assert.throws(
        () => loadConfig({ ...base, ADMIN_PASSWORD: 'a long admin password', ADMIN_EMAIL: 'a@b.example', [name]: value }),
        (err: unknown) => err instanceof ConfigError && err.variable === name && err.message.includes(name),
      );
    });
  }

  describe('Azure Blob storage (AZURE_STORAGE_*)', () => {
    const key = Buffer.alloc(64, 7).toString('base64');
    const good = `DefaultEndpointsProtocol=https;AccountName=carebridge;AccountKey=${key};EndpointSuffix=core.windows.net`;
    it('is off by default and on with a connection string and a container', () => {
      assert.deepEqual(loadConfig(base).azure, { connectionString: null, container: null });
      const config = loadConfig({ ...base, AZURE_STORAGE_CONNECTION_STRING: good, AZURE_STORAGE_CONTAINER: 'patient-files' });
      assert.deepEqual(config.azure, { connectionString: good, container: 'patient-files' });
      for (const sas of ['BlobEndpoint=https://carebridge.blob.core.windows.net/;SharedAccessSignature=sv=2024-01-01&sig=abc', 'UseDevelopmentStorage=true']) {
        assert.equal(loadConfig({ ...base, AZURE_STORAGE_CONNECTION_STRING: sas, AZURE_STORAGE_CONTAINER: 'files' }).azure.connectionString, sas);
      }
    });
    const cases: [string, Record<string, string>][] = [
      ['AZURE_STORAGE_CONTAINER', { AZURE_STORAGE_CONNECTION_STRING: good }],
      ['AZURE_STORAGE_CONNECTION_STRING', { AZURE_STORAGE_CONTAINER: 'files' }],
      ['AZURE_STORAGE_CONNECTION_STRING', { AZURE_STORAGE_CONNECTION_STRING: 'not a connection string', AZURE_STORAGE_CONTAINER: 'files' }],
      ['AZURE_STORAGE_CONNECTION_STRING', { AZURE_STORAGE_CONNECTION_STRING: 'AccountName=carebridge', AZURE_STORAGE_CONTAINER: 'files' }],
      [
        'AZURE_STORAGE_CONNECTION_STRING',
        { AZURE_STORAGE_CONNECTION_STRING: 'AccountName=carebridge;AccountKey=not base64!', AZURE_STORAGE_CONTAINER: 'files' },
      ],
      ['AZURE_STORAGE_CONNECTION_STRING', { AZURE_STORAGE_CONNECTION_STRING: `${good};BlobEndpoint=ftp://x`, AZURE_STORAGE_CONTAINER: 'files' }],
      ['AZURE_STORAGE_CONTAINER', { AZURE_STORAGE_CONNECTION_STRING: good, AZURE_STORAGE_CONTAINER: 'Patient_Files' }],
      ['AZURE_STORAGE_CONTAINER', { AZURE_STORAGE_CONNECTION_STRING: good, AZURE_STORAGE_CONTAINER: 'a--b' }],
      ['AZURE_STORAGE_CONTAINER', { AZURE_STORAGE_CONNECTION_STRING: good, AZURE_STORAGE_CONTAINER: 'ab' }],
      ['AZURE_STORAGE_CONNECTION_STRING', { AZURE_STORAGE_CONNECTION_STRING: good, AZURE_STORAGE_CONTAINER: 'files', S3_BUCKET: 'files' }],
    ];
    for (const [variable, env] of cases) {
      it(`stops start-up naming ${variable} (${Object.keys(env).join(', ')}), without repeating the key`, () => {
        assert.throws(
          () => loadConfig({ ...base, ...env }),
          (err: unknown) => err instanceof ConfigError && err.variable === variable && !err.message.includes(key),
        );
      });
    }
  });

  it('requires ADMIN_EMAIL and ADMIN_PASSWORD together', () => {
    assert.throws(
      () => loadConfig({ ...base, ADMIN_EMAIL: 'a@b.example' }),
      (err: unknown) => err instanceof ConfigError && err.variable === 'ADMIN_PASSWORD',
    );
  });
});
