import { readFile } from 'node:fs/promises';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type TLSConfig, type WorkflowClientInterceptor } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { TemporalSettings } from '../config.ts';

/** Where to connect: the config's Temporal settings with the address settled (embedded or external). */
export type TemporalTarget = Omit<TemporalSettings, 'address' | 'devServerPort' | 'devServerUiPort' | 'cliPath' | 'addressSource'> & {
  address: string;
  /** True for `baton start`'s own dev server, whose address no setting gives. */
  embedded: boolean;
  /** What gave the address (TEMPORAL_ADDRESS or a profile), named when it cannot be reached. */
  addressSource?: string;
};

export function temporalTarget(settings: TemporalSettings, embeddedAddress?: string): TemporalTarget {
  const address = settings.address ?? embeddedAddress;
  if (!address) throw new Error('TEMPORAL_ADDRESS is not set and no embedded dev server is running');
  return {
    address,
    embedded: settings.address === undefined,
    addressSource: settings.addressSource,
    namespace: settings.namespace,
    apiKey: settings.apiKey,
    tls: settings.tls,
    grpcMeta: settings.grpcMeta,
  };
}

/**
 * Longest wait before a gRPC retry of the API's client. The retry interceptor's timer outlives a
 * call that was abandoned meanwhile, so whoever closes the connection waits this long first
 * (RunService.settleAbandonedCalls); otherwise the retry starts on a closed channel and throws.
 */
export const maxClientRetryDelayMs = 1_000;
const defaultRetry = defaultGrpcRetryOptions({ maxAttempts: 3 });
const apiRetryOptions = { ...defaultRetry, delayFunction: (attempt: number, status: Parameters<typeof defaultRetry.delayFunction>[1]) => Math.min(maxClientRetryDelayMs, defaultRetry.delayFunction(attempt, status)) };

/** A client connection (API, operator commands) honouring API key and (m)TLS. */
export async function connectClient(target: TemporalTarget, extra: { interceptors?: WorkflowClientInterceptor[] } = {}): Promise<Client> {
  const options = await connectionOptions(target);
  const connection = await Connection.connect({
    ...options,
    // The SDK's default retries an unreachable server for ~20 s; an API caller should get 503 in ~1 s.
    interceptors: [makeGrpcRetryInterceptor(apiRetryOptions)],
  }).catch((error: unknown) => { throw new TemporalConnectionError(target, error); });
  return new Client({ connection, namespace: target.namespace, ...(extra.interceptors ? { interceptors: { workflow: extra.interceptors } } : {}) });
}

/** The worker's native connection, same settings as the client's. */
export async function connectNative(target: TemporalTarget): Promise<NativeConnection> {
  const options = await connectionOptions(target);
  return await NativeConnection.connect(options).catch((error: unknown) => { throw new TemporalConnectionError(target, error); });
}

/**
 * Temporal could not be reached at start-up. The message names TEMPORAL_ADDRESS (or the embedded
 * dev server) and what to check, instead of the SDK's bare `Failed to connect before the deadline`.
 */
export class TemporalConnectionError extends Error {
  constructor(target: TemporalTarget, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const secured = [target.tls !== false && 'TEMPORAL_TLS_* (certificates, server name)', target.apiKey && 'TEMPORAL_API_KEY'].filter(Boolean).join(' and ');
    const source = target.addressSource ?? 'TEMPORAL_ADDRESS';
    super(target.embedded
      ? `cannot connect to the embedded Temporal dev server at ${target.address} (${reason}); it may have stopped: see the lines above`
      : `${source}: cannot connect to Temporal at ${target.address} (${reason}); check the host and port in ${source === 'TEMPORAL_ADDRESS' ? 'TEMPORAL_ADDRESS' : 'the profile\'s address'} and that the Temporal server is running and reachable from here`
        + (secured ? `, and ${secured}` : ''), { cause });
    this.name = 'TemporalConnectionError';
  }
}

async function connectionOptions(target: TemporalTarget): Promise<{ address: string; apiKey?: string; tls?: TLSConfig | false; metadata?: Record<string, string> }> {
  return {
    address: target.address,
    ...(target.apiKey ? { apiKey: target.apiKey } : {}),
    ...(target.grpcMeta ? { metadata: target.grpcMeta } : {}),
    tls: target.tls === false ? false : await loadTls(target.tls),
  };
}

async function loadTls(tls: Exclude<TemporalTarget['tls'], false>): Promise<TLSConfig> {
  const config: TLSConfig = {};
  if (tls.serverName) config.serverNameOverride = tls.serverName;
  // Inline PEM (TEMPORAL_TLS_*_DATA or a profile's *_data) or a file; config loading allows one of the two.
  const pem = async (variable: string, data: Uint8Array | undefined, file: string | undefined) => (data ? Buffer.from(data) : file ? await readNamed(variable, file) : undefined);
  const serverCa = await pem('TEMPORAL_TLS_SERVER_CA_CERT_PATH', tls.serverCaCertData, tls.serverCaCertPath);
  if (serverCa) config.serverRootCACertificate = serverCa;
  const crt = await pem('TEMPORAL_TLS_CLIENT_CERT_PATH', tls.clientCertData, tls.clientCertPath);
  const key = await pem('TEMPORAL_TLS_CLIENT_KEY_PATH', tls.clientKeyData, tls.clientKeyPath);
  if (crt && key) config.clientCertPair = { crt, key };
  return config;
}

// A certificate that cannot be read is a configuration error: name the variable, not just the path.
async function readNamed(variable: string, file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new Error(`${variable}: cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
}
