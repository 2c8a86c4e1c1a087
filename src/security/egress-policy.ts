// The one door for outbound calls a tenant can aim (http agents, llm baseUrl, the http_request
// tool, webhooks): addresses are checked after DNS and the socket goes to the checked address.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { promisify } from 'node:util';
import { ApplicationFailure } from '@temporalio/common';
import { Agent, buildConnector, fetch as undiciFetch, type RequestInit as UndiciRequestInit } from 'undici';
import { allowsAddress, allowsName, egressAllowEnv, hostOf, parseEgressAllowList, portOf, type EgressAllowEntry } from './egress-allow-list.ts';
import { classifyAddress, parseIp } from './ip-address.ts';

export { destinationEntry, egressAllowEnv, EgressAllowListError, parseEgressAllowList } from './egress-allow-list.ts';

/** Resolves a host name to every address it has (dns.promises.lookup with `all: true`). */
export type HostLookup = (host: string) => Promise<LookupAddress[]>;

/** A call the policy refuses; the refused service has received nothing. */
export class EgressRefusedError extends Error {
  /** The URL's host (host or host:port), as written. */
  readonly host: string;
  constructor(host: string, reason: string) {
    super(reason);
    this.name = 'EgressRefusedError';
    this.host = host;
  }
}

export interface EgressPolicy {
  /**
   * fetch through the policy: http(s) only, no userinfo, every resolved address checked and the
   * connection made to a checked one. Redirects are never followed: a 3xx is the answer. A refusal
   * rejects with EgressRefusedError.
   */
  fetch(input: string | URL, init?: RequestInit): Promise<Response>;
  /** Resolves the URL's host and checks it as fetch would (e.g. before storing a webhook URL). */
  check(url: string | URL): Promise<void>;
  /** This policy with more entries: for a destination the operator chose (OPENAI_BASE_URL). */
  allowing(entries: readonly string[]): EgressPolicy;
  /** Drops pooled connections and aborts calls still in flight. */
  close(): Promise<void>;
}

export interface EgressPolicyOptions {
  /** Test seam for DNS answers (default dns.lookup, every address in resolver order). */
  lookup?: HostLookup;
}

const systemLookup: HostLookup = (() => {
  const lookup = promisify(dnsLookup);
  return (host) => lookup(host, { all: true, order: 'verbatim' });
})();

/**
 * A policy from BATON_EGRESS_ALLOW entries (see parseEgressAllowList). Public addresses pass;
 * loopback, private, link-local (cloud metadata), CGNAT, multicast and reserved ones only when
 * an entry lists the host name or the address.
 *
 * @example
 *   const egress = createEgressPolicy(process.env.BATON_EGRESS_ALLOW);
 *   const response = await egress.fetch('https://hooks.example.com/baton', { method: 'POST', body });
 */
export function createEgressPolicy(allow: string | readonly string[] = [], options: EgressPolicyOptions = {}): EgressPolicy {
  const entries = parseEgressAllowList(allow);
  const lookup = options.lookup ?? systemLookup;
  const agent = new Agent({ connect: guardedConnector(entries, lookup) });
  return {
    async fetch(input, init) {
      const url = checkUrl(input);
      try {
        const response = await undiciFetch(url, { ...(init as UndiciRequestInit), redirect: 'manual', dispatcher: agent });
        return response as unknown as Response;
      } catch (error) {
        throw egressRefusal(error) ?? error;
      }
    },
    async check(input) {
      const url = checkUrl(input);
      await checkedAddresses(entries, lookup, hostOf(url), portOf(url), url.host);
    },
    allowing(more) {
      return createEgressPolicy([...(typeof allow === 'string' ? allow.split(',') : allow), ...more], options);
    },
    // Shutdown must not wait on a slow remote: the worker has stopped its activities by now.
    close: () => agent.destroy(),
  };
}

const shared = new Map<string, EgressPolicy>();

/**
 * One policy per BATON_EGRESS_ALLOW value, for callers given an environment rather than a policy
 * (their own pooled connections, never closed before the process ends).
 */
export function egressPolicyFromEnv(env: Record<string, string | undefined>): EgressPolicy {
  const value = env[egressAllowEnv] ?? '';
  let policy = shared.get(value);
  if (!policy) shared.set(value, (policy = createEgressPolicy(value)));
  return policy;
}

/** The EgressRefusedError in an error's cause chain (fetch wraps it in "fetch failed"), if any. */
export function egressRefusal(error: unknown): EgressRefusedError | undefined {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof EgressRefusedError) return cause;
  }
  return undefined;
}

/** The activity failure for a refused call: not retryable, since only the operator can allow it. */
export function egressFailure(refusal: EgressRefusedError, what: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'egress_refused', nonRetryable: true, message: `${what} was refused: ${refusal.message}`, details: [{ host: refusal.host }] });
}

/** A URL for messages and logs: without user name, password or query (a token may ride in any of them). */
export function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    const hadQuery = parsed.search !== '';
    parsed.search = '';
    parsed.hash = '';
    return hadQuery ? `${parsed.href}?…` : parsed.href;
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//').replace(/[?#].*$/, '?…');
  }
}

function checkUrl(input: string | URL): URL {
  if (typeof input !== 'string' && !(input instanceof URL)) throw new TypeError('egress fetch takes a URL and an init, not a Request');
  const url = new URL(input);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new EgressRefusedError(url.host, `${url.protocol} URLs are refused; only http and https may leave Baton`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new EgressRefusedError(url.host, `the URL for ${url.host} carries a user name or password, which Baton refuses to send; pass credentials in a header`);
  }
  return url;
}

/** Every address `host` stands for, each checked against the entries; throws EgressRefusedError. */
async function checkedAddresses(entries: readonly EgressAllowEntry[], lookup: HostLookup, host: string, port: number, shown: string): Promise<LookupAddress[]> {
  const literal = parseIp(host);
  const addresses: LookupAddress[] = literal ? [{ address: host, family: literal.family }] : await lookup(host);
  if (allowsName(entries, host, port)) return addresses;
  if (addresses.length === 0) throw new EgressRefusedError(shown, `${host} resolves to no address`);
  for (const { address } of addresses) {
    const parsed = parseIp(address);
    const kind = parsed ? classifyAddress(parsed) : 'reserved';
    if (kind === undefined || (parsed && allowsAddress(entries, parsed, port))) continue;
    const what = literal ? `${host} is ${article(kind)} ${kind} address` : `${host} resolves to ${address}, ${article(kind)} ${kind} address`;
    throw new EgressRefusedError(shown, `${what}; allow it with ${egressAllowEnv}`);
  }
  return addresses;
}

const article = (word: string) => (/^[aeiu]/.test(word) ? 'an' : 'a');

/**
 * undici connector that checks the destination (with its port) before any socket is opened, then
 * connects through a lookup that can only answer the addresses just checked.
 */
function guardedConnector(entries: readonly EgressAllowEntry[], lookup: HostLookup): buildConnector.connector {
  return (options, callback) => {
    const host = options.hostname.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
    const port = Number(options.port) || (options.protocol === 'https:' ? 443 : 80);
    checkedAddresses(entries, lookup, host, port, options.host ?? host).then(
      (addresses) => {
        try {
          buildConnector({ lookup: pinnedLookup(addresses) })(options, callback);
        } catch (error) {
          callback(error as Error, null);
        }
      },
      (error: Error) => callback(error, null),
    );
  };
}

type LookupCallback = (error: Error | null, address: string | LookupAddress[], family?: number) => void;

/** A dns.lookup stand-in answering only the checked addresses, so DNS cannot change between check and connect. */
function pinnedLookup(addresses: LookupAddress[]) {
  return (_host: string, options: { all?: boolean; family?: number | string }, callback: LookupCallback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : Number(options.family ?? 0);
    const matching = addresses.filter((address) => family === 0 || address.family === family);
    process.nextTick(() => {
      if (matching.length === 0) callback(Object.assign(new Error(`no IPv${family} address was checked`), { code: 'ENOTFOUND' }), []);
      else if (options.all) callback(null, matching);
      else callback(null, matching[0]!.address, matching[0]!.family);
    });
  };
}
