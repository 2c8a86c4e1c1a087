// Where Baton's Temporal connection comes from: the TEMPORAL_* variables over a profile of a Temporal
// config file (TOML), read the way the Temporal CLI and SDKs read them (@temporalio/envconfig).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadClientConfig, type ClientConfigProfile, type ConfigDataSource } from '@temporalio/envconfig';

export interface TlsSettings {
  clientCertPath?: string;
  clientKeyPath?: string;
  serverCaCertPath?: string;
  serverName?: string;
  /** PEM given inline (TEMPORAL_TLS_*_DATA or a profile's `*_data`) instead of a file path. */
  clientCertData?: Uint8Array;
  clientKeyData?: Uint8Array;
  serverCaCertData?: Uint8Array;
}

export interface TemporalSettings {
  /** Unset: `baton start` runs an embedded dev server on devServerPort. */
  address?: string;
  /** What gave the address, for messages: `TEMPORAL_ADDRESS` or `TEMPORAL_PROFILE "name" (file)`. */
  addressSource?: string;
  namespace: string;
  apiKey?: string;
  /** false: plaintext; an object: TLS (empty object = system roots, no client certificate). */
  tls: false | TlsSettings;
  /** gRPC headers sent with every call (a profile's `grpc_meta`, TEMPORAL_GRPC_META_*). */
  grpcMeta?: Record<string, string>;
  cliPath?: string;
  devServerPort: number;
  devServerUiPort: number;
}

/** The TEMPORAL_* variables as loadConfig parsed them; undefined = unset. */
export interface TemporalEnv {
  TEMPORAL_ADDRESS?: string;
  TEMPORAL_NAMESPACE?: string;
  TEMPORAL_API_KEY?: string;
  TEMPORAL_TLS?: boolean;
  TEMPORAL_TLS_CLIENT_CERT_PATH?: string;
  TEMPORAL_TLS_CLIENT_KEY_PATH?: string;
  TEMPORAL_TLS_SERVER_CA_CERT_PATH?: string;
  TEMPORAL_TLS_CLIENT_CERT_DATA?: string;
  TEMPORAL_TLS_CLIENT_KEY_DATA?: string;
  TEMPORAL_TLS_SERVER_CA_CERT_DATA?: string;
  TEMPORAL_TLS_SERVER_NAME?: string;
  TEMPORAL_PROFILE?: string;
  TEMPORAL_CONFIG_FILE?: string;
}

export interface Problem { variable: string; message: string }
export const temporalAddressPattern = /^[^\s:/]+:\d+$/;

interface LoadedProfile { profile: ClientConfigProfile; variable: 'TEMPORAL_PROFILE' | 'TEMPORAL_CONFIG_FILE'; label: string }

/**
 * The profile named by TEMPORAL_PROFILE (default `default`) from TEMPORAL_CONFIG_FILE, or from the
 * Temporal CLI's file ($XDG_CONFIG_HOME or ~/.config, then temporalio/temporal.toml). Only read when
 * one of the two variables is set, so a CLI profile never moves `baton start` off its embedded server.
 */
function loadProfile(e: TemporalEnv, env: NodeJS.ProcessEnv, problems: Problem[]): LoadedProfile | undefined {
  if (!e.TEMPORAL_CONFIG_FILE && !e.TEMPORAL_PROFILE) return undefined;
  const fileVariable = e.TEMPORAL_CONFIG_FILE ? 'TEMPORAL_CONFIG_FILE' : 'TEMPORAL_PROFILE';
  const file = e.TEMPORAL_CONFIG_FILE ?? defaultConfigFile(env);
  if (!file) {
    problems.push({ variable: 'TEMPORAL_PROFILE', message: 'names a profile but there is no config file: set TEMPORAL_CONFIG_FILE (HOME and XDG_CONFIG_HOME are unset)' });
    return undefined;
  }
  let profiles: Record<string, ClientConfigProfile>;
  try {
    profiles = loadClientConfig({ configSource: { data: readFileSync(file, 'utf8') }, overrideEnvVars: {} }).profiles ?? {};
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ? `cannot read the Temporal config file ${file}` : `the Temporal config file ${file} is not valid TOML`;
    problems.push({ variable: fileVariable, message: `${reason}: ${(error as Error).message.split('\n')[0]}` });
    return undefined;
  }
  const name = e.TEMPORAL_PROFILE ?? 'default';
  const profile = profiles[name];
  if (!profile) {
    const known = Object.keys(profiles);
    problems.push({
      variable: e.TEMPORAL_PROFILE ? 'TEMPORAL_PROFILE' : 'TEMPORAL_CONFIG_FILE',
      message: `${file} has no profile "${name}" (${known.length ? `it has ${known.map((k) => `"${k}"`).join(', ')}` : 'it has none'})`,
    });
    return undefined;
  }
  const label = `TEMPORAL_PROFILE "${name}" (${file})`;
  // TOML carries any type: check what Baton uses, naming the profile.
  for (const key of ['address', 'namespace', 'apiKey'] as const) {
    if (profile[key] !== undefined && (typeof profile[key] !== 'string' || profile[key] === '')) problems.push({ variable: fileVariable, message: `${label}: ${key === 'apiKey' ? 'api_key' : key} must be a non-empty string` });
  }
  if (typeof profile.address === 'string' && profile.address && !temporalAddressPattern.test(profile.address)) {
    problems.push({ variable: fileVariable, message: `${label}: address must be host:port, e.g. localhost:7233 (got ${JSON.stringify(profile.address)})` });
  }
  return { profile, variable: fileVariable, label };
}

function defaultConfigFile(env: NodeJS.ProcessEnv): string | undefined {
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : env.HOME ? path.join(env.HOME, '.config') : undefined;
  return base && path.join(base, 'temporalio', 'temporal.toml');
}

type Source = { path: string } | { data: Uint8Array };

/** One TLS item: a variable's path or inline data wins over the profile's. */
function tlsItem(pathVariable: keyof TemporalEnv, dataVariable: keyof TemporalEnv, e: TemporalEnv, fromProfile: ConfigDataSource | undefined, problems: Problem[]): Source | undefined {
  const filePath = e[pathVariable] as string | undefined;
  const data = e[dataVariable] as string | undefined;
  if (filePath && data) problems.push({ variable: dataVariable, message: `set either ${pathVariable} or ${dataVariable}, not both` });
  if (filePath) return { path: filePath };
  if (data) return { data: Buffer.from(data) };
  if (!fromProfile) return undefined;
  return 'path' in fromProfile ? { path: fromProfile.path } : { data: Buffer.from(fromProfile.data) };
}

/** `TEMPORAL_GRPC_META_X_TENANT=a` → `x-tenant: a`; an empty value removes a profile's header. */
function grpcMeta(profile: ClientConfigProfile | undefined, env: NodeJS.ProcessEnv): Record<string, string> | undefined {
  const meta: Record<string, string> = { ...profile?.grpcMeta };
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('TEMPORAL_GRPC_META_')) continue;
    const header = name.slice('TEMPORAL_GRPC_META_'.length).toLowerCase().replaceAll('_', '-');
    if (value) meta[header] = value;
    else delete meta[header];
  }
  return Object.keys(meta).length > 0 ? meta : undefined;
}

/** The connection settings: each variable that is set wins over the profile's value, as in the Temporal CLI. */
export function resolveTemporalSettings(e: TemporalEnv, env: NodeJS.ProcessEnv, problems: Problem[]): Omit<TemporalSettings, 'cliPath' | 'devServerPort' | 'devServerUiPort'> {
  const loaded = loadProfile(e, env, problems);
  const profile = loaded?.profile;
  const profileTls = profile?.tls;
  const clientCert = tlsItem('TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_CERT_DATA', e, profileTls?.clientCert, problems);
  const clientKey = tlsItem('TEMPORAL_TLS_CLIENT_KEY_PATH', 'TEMPORAL_TLS_CLIENT_KEY_DATA', e, profileTls?.clientKey, problems);
  const serverCaCert = tlsItem('TEMPORAL_TLS_SERVER_CA_CERT_PATH', 'TEMPORAL_TLS_SERVER_CA_CERT_DATA', e, profileTls?.serverCACert, problems);
  const serverName = e.TEMPORAL_TLS_SERVER_NAME ?? profileTls?.serverName;
  const apiKey = e.TEMPORAL_API_KEY ?? profile?.apiKey;

  if (Boolean(clientCert) !== Boolean(clientKey)) {
    const missing = clientCert ? 'TEMPORAL_TLS_CLIENT_KEY_PATH' : 'TEMPORAL_TLS_CLIENT_CERT_PATH';
    problems.push({ variable: missing, message: `mTLS needs both the client certificate and its key${loaded ? ` (with ${loaded.label})` : ''}` });
  }
  const mtls = Boolean(clientCert || serverCaCert);
  // TLS is on when asked, when certificates are given, with a profile's [tls] table, or with an API key (Temporal Cloud) unless turned off.
  const tlsOn = e.TEMPORAL_TLS ?? (profileTls?.disabled ? false : undefined) ?? (mtls || Boolean(apiKey) || Boolean(serverName) || profileTls !== undefined);
  if (!tlsOn && mtls) {
    problems.push(e.TEMPORAL_TLS === false
      ? { variable: 'TEMPORAL_TLS', message: 'is false but TLS certificates are set' }
      : { variable: loaded!.variable, message: `${loaded!.label} disables TLS but TLS certificates are set` });
  }
  const address = e.TEMPORAL_ADDRESS ?? profile?.address;
  return {
    address,
    addressSource: address === undefined ? undefined : e.TEMPORAL_ADDRESS ? 'TEMPORAL_ADDRESS' : loaded?.label,
    namespace: e.TEMPORAL_NAMESPACE ?? profile?.namespace ?? 'default',
    apiKey,
    tls: tlsOn
      ? {
          ...(clientCert && ('path' in clientCert ? { clientCertPath: clientCert.path } : { clientCertData: clientCert.data })),
          ...(clientKey && ('path' in clientKey ? { clientKeyPath: clientKey.path } : { clientKeyData: clientKey.data })),
          ...(serverCaCert && ('path' in serverCaCert ? { serverCaCertPath: serverCaCert.path } : { serverCaCertData: serverCaCert.data })),
          ...(serverName ? { serverName } : {}),
        }
      : false,
    grpcMeta: grpcMeta(profile, env),
  };
}
