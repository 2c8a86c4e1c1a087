// TEMPORAL_PROFILE and TEMPORAL_CONFIG_FILE: a Temporal CLI config file's profile gives the connection,
// each TEMPORAL_* variable that is set wins over it, and every mistake is named by the variable to fix.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, configVariables, loadConfig } from '../../src/config.ts';

let dir: string;
let file: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'baton-temporal-profile-'));
  file = path.join(dir, 'temporal.toml');
  await writeFile(file, `
[profile.default]
address = "default-host:7233"
namespace = "default-ns"

[profile.prod]
address = "prod.tmprl.cloud:7233"
namespace = "prod-ns"
api_key = "profile-key"
[profile.prod.grpc_meta]
x-tenant = "acme"

[profile.mtls]
address = "mtls-host:7233"
[profile.mtls.tls]
server_name = "temporal.internal"
client_cert_data = "CERT"
client_key_data = "KEY"
server_ca_cert_path = "/certs/ca.pem"

[profile.plain]
address = "plain-host:7233"
[profile.plain.tls]
disabled = true

[profile.halfcert.tls]
client_cert_path = "/certs/client.pem"

[profile.badaddress]
address = "http://host:7233"
`);
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

function errorOf(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('loadConfig accepted the environment');
}

describe('Temporal config file profiles', () => {
  it('selects the address and namespace from the profile TEMPORAL_PROFILE names', () => {
    const { temporal } = loadConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' });
    expect(temporal).toMatchObject({ address: 'prod.tmprl.cloud:7233', namespace: 'prod-ns', apiKey: 'profile-key', grpcMeta: { 'x-tenant': 'acme' } });
    // An API key turns TLS on, as with TEMPORAL_API_KEY.
    expect(temporal.tls).toEqual({});
    expect(temporal.addressSource).toBe(`TEMPORAL_PROFILE "prod" (${file})`);
  });

  it('uses the `default` profile when only TEMPORAL_CONFIG_FILE is set', () => {
    expect(loadConfig({ TEMPORAL_CONFIG_FILE: file }).temporal).toMatchObject({ address: 'default-host:7233', namespace: 'default-ns', tls: false });
  });

  it('lets each TEMPORAL_* variable that is set win over the profile', () => {
    const { temporal } = loadConfig({
      TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod', TEMPORAL_ADDRESS: 'other:7233', TEMPORAL_NAMESPACE: 'mine', TEMPORAL_TLS: 'false', TEMPORAL_GRPC_META_X_TENANT: 'other', TEMPORAL_GRPC_META_X_TEAM: 'ops',
    });
    expect(temporal).toMatchObject({ address: 'other:7233', addressSource: 'TEMPORAL_ADDRESS', namespace: 'mine', apiKey: 'profile-key', tls: false, grpcMeta: { 'x-tenant': 'other', 'x-team': 'ops' } });
  });

  it('takes the profile\'s TLS table: inline PEM, files, server name, and `disabled`', () => {
    const { tls } = loadConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'mtls' }).temporal;
    expect(tls).toEqual({ clientCertData: Buffer.from('CERT'), clientKeyData: Buffer.from('KEY'), serverCaCertPath: '/certs/ca.pem', serverName: 'temporal.internal' });
    expect(loadConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'mtls', TEMPORAL_TLS_CLIENT_CERT_PATH: '/mine.pem' }).temporal.tls).toMatchObject({ clientCertPath: '/mine.pem', clientKeyData: Buffer.from('KEY') });
    expect(loadConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'plain' }).temporal.tls).toBe(false);
    expect(loadConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'plain', TEMPORAL_TLS: 'true' }).temporal.tls).toEqual({});
  });

  it('reads the Temporal CLI\'s own file for TEMPORAL_PROFILE, and no file at all without either variable', async () => {
    const configHome = path.join(dir, 'xdg');
    await mkdir(path.join(configHome, 'temporalio'), { recursive: true });
    await writeFile(path.join(configHome, 'temporalio', 'temporal.toml'), '[profile.default]\naddress = "cli-default:7233"\n[profile.staging]\naddress = "staging:7233"\n');
    expect(loadConfig({ XDG_CONFIG_HOME: configHome, TEMPORAL_PROFILE: 'staging' }).temporal.address).toBe('staging:7233');
    // A CLI default profile never moves `baton start` off its embedded dev server unasked.
    expect(loadConfig({ XDG_CONFIG_HOME: configHome }).temporal.address).toBeUndefined();
    expect(loadConfig({ HOME: dir, XDG_CONFIG_HOME: '' }).temporal.address).toBeUndefined();
  });

  it('takes PEM inline from TEMPORAL_TLS_*_DATA', () => {
    const { tls } = loadConfig({ TEMPORAL_ADDRESS: 'h:7233', TEMPORAL_TLS_CLIENT_CERT_DATA: 'CERT', TEMPORAL_TLS_CLIENT_KEY_DATA: 'KEY', TEMPORAL_TLS_SERVER_CA_CERT_DATA: 'CA' }).temporal;
    expect(tls).toEqual({ clientCertData: Buffer.from('CERT'), clientKeyData: Buffer.from('KEY'), serverCaCertData: Buffer.from('CA') });
  });

  it('lists the new variables with the others', () => {
    for (const variable of ['TEMPORAL_PROFILE', 'TEMPORAL_CONFIG_FILE', 'TEMPORAL_TLS_CLIENT_CERT_DATA', 'TEMPORAL_TLS_CLIENT_KEY_DATA', 'TEMPORAL_TLS_SERVER_CA_CERT_DATA']) expect(configVariables).toContain(variable);
  });

  describe('names the variable to fix', () => {
    const cases: Array<[string, string, () => NodeJS.ProcessEnv]> = [
      ['TEMPORAL_PROFILE', 'has no profile "nope"', () => ({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'nope' })],
      ['TEMPORAL_CONFIG_FILE', 'cannot read the Temporal config file', () => ({ TEMPORAL_CONFIG_FILE: path.join(dir, 'missing.toml') })],
      ['TEMPORAL_PROFILE', 'cannot read the Temporal config file', () => ({ XDG_CONFIG_HOME: path.join(dir, 'nowhere'), TEMPORAL_PROFILE: 'prod' })],
      ['TEMPORAL_CONFIG_FILE', 'address must be host:port', () => ({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'badaddress' })],
      ['TEMPORAL_TLS_CLIENT_KEY_PATH', 'needs both the client certificate and its key', () => ({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'halfcert' })],
      ['TEMPORAL_TLS_CLIENT_CERT_DATA', 'not both', () => ({ TEMPORAL_TLS_CLIENT_CERT_PATH: '/c.pem', TEMPORAL_TLS_CLIENT_CERT_DATA: 'CERT', TEMPORAL_TLS_CLIENT_KEY_PATH: '/c.key' })],
      ['TEMPORAL_CONFIG_FILE', 'disables TLS but TLS certificates are set', () => ({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'plain', TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/ca.pem' })],
    ];
    it.each(cases)('%s: %s', (variable, message, env) => {
      const error = errorOf(env());
      expect(error.variables).toContain(variable);
      expect(error.message).toContain(message);
    });

    it('TEMPORAL_CONFIG_FILE: a file that is not TOML', async () => {
      const broken = path.join(dir, 'broken.toml');
      await writeFile(broken, '[profile.default\naddress = ');
      const error = errorOf({ TEMPORAL_CONFIG_FILE: broken });
      expect(error.variables).toEqual(['TEMPORAL_CONFIG_FILE']);
      expect(error.message).toContain('is not valid TOML');
    });

    it('does not show inline key data in an error', () => {
      expect(errorOf({ TEMPORAL_TLS_CLIENT_KEY_DATA: 'SECRET-KEY-PEM', TEMPORAL_TLS: 'maybe' }).message).not.toContain('SECRET-KEY-PEM');
    });
  });
});
