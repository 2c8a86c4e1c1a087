// A Temporal CLI config profile is enough to reach Temporal: Baton's client and worker connections
// built from TEMPORAL_CONFIG_FILE + TEMPORAL_PROFILE talk to the test run's dev server.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { connectClient, connectNative, TemporalConnectionError, temporalTarget } from '../../src/temporal/connection.ts';

let dir: string;
let file: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'baton-profile-connect-'));
  file = path.join(dir, 'temporal.toml');
  await writeFile(file, `[profile.tests]\naddress = "${inject('temporalAddress')}"\nnamespace = "${inject('temporalNamespace')}"\n[profile.tests.grpc_meta]\nx-baton-test = "profile"\n`);
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('connecting with TEMPORAL_PROFILE', () => {
  it('connects the client and the worker\'s native connection to the profile\'s server and namespace', async () => {
    const config = loadConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'tests' });
    const target = temporalTarget(config.temporal);
    expect(target).toMatchObject({ address: inject('temporalAddress'), namespace: inject('temporalNamespace'), embedded: false, tls: false, grpcMeta: { 'x-baton-test': 'profile' } });

    const client = await connectClient(target);
    try {
      const described = await client.workflowService.describeNamespace({ namespace: target.namespace });
      expect(described.namespaceInfo?.name).toBe(inject('temporalNamespace'));
    } finally {
      await client.connection.close();
    }
    const native = await connectNative(target);
    await native.close();
  });

  it('names the profile, not TEMPORAL_ADDRESS, when its server cannot be reached', () => {
    const target = temporalTarget(loadConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'tests' }).temporal);
    const error = new TemporalConnectionError(target, new Error('connection refused'));
    expect(error.message).toMatch(new RegExp(`^TEMPORAL_PROFILE "tests" \\(${file.replaceAll('.', '\\.')}\\): cannot connect to Temporal at `));
    expect(error.message).toContain('the profile\'s address');
  });
});
