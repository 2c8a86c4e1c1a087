// Sends the webhook outbox. Runs in every API process (`baton start`, `baton api`); workers only
// fill the outbox (in the transaction that records a run's pause or end), so a dead or slow
// receiver never holds up a run. Delivery is at least once: a delivery stays pending until a 2xx
// answer, across restarts, and is claimed with a lease so concurrent senders never both send it.
import type { EgressPolicy } from '../security/egress-policy.ts';
import { egressRefusal } from '../security/egress-policy.ts';
import { signBatonRequest, signatureHeader, timestampHeader } from '../security/request-signature.ts';
import type { Store } from '../store/open-store.ts';
import type { AttemptOutcome, ClaimedDelivery } from '../store/webhooks.ts';
import { eventIdHeader, eventTypeHeader, webhookEventBody } from './webhook-payload.ts';

export interface WebhookSenderOptions {
  store: Pick<Store, 'webhooks' | 'runFeed'>;
  /** Every delivery goes through it: the URL is checked again (DNS may have changed) and pinned. */
  egress: Pick<EgressPolicy, 'fetch'>;
  log?: (line: string) => void;
  /** Told of every finished attempt: delivered, retrying (due again later) or failed (given up); and how long it took. */
  observe?: (outcome: 'delivered' | 'retrying' | 'failed', seconds: number) => void;
  /** Wait before the 2nd attempt; each later wait doubles. Default 1 s. */
  initialBackoffMs?: number;
  /** Longest wait between two attempts. Default 10 min. */
  maxBackoffMs?: number;
  /** How long after the event is enqueued attempts go on; then the delivery is `failed`. Default 24 h. */
  retryForMs?: number;
  /** One attempt's bound, connect to last byte of the answer. Default 10 s. */
  attemptTimeoutMs?: number;
  /** How often the outbox is read without a change notice (one can be lost). Default 5 s. */
  pollIntervalMs?: number;
  /** Attempts in flight in this process. Default 8. */
  maxConcurrent?: number;
  /** Attempts in flight per webhook in this process, so one slow receiver cannot take every slot. Default 2. */
  maxPerWebhook?: number;
  /** Delivered and failed deliveries are deleted this long after their event. Default 7 days. */
  retentionMs?: number;
}

export const webhookSenderDefaults = {
  initialBackoffMs: 1_000,
  maxBackoffMs: 10 * 60_000,
  retryForMs: 24 * 60 * 60_000,
  attemptTimeoutMs: 10_000,
  pollIntervalMs: 5_000,
  maxConcurrent: 8,
  maxPerWebhook: 2,
  retentionMs: 7 * 24 * 60 * 60_000,
} as const;

// A claim outlives the attempt it covers, so it never lapses while the attempt can still succeed.
const leaseMarginMs = 30_000;
const pruneEveryMs = 60 * 60_000;
// Enough of a refusal body to diagnose it in the deliveries list.
const maxErrorBodyChars = 500;

export interface WebhookSender {
  /** Subscribes to run changes and starts sending; returns at once. */
  start(): void;
  /** Stops claiming, aborts attempts in flight (their deliveries stay pending) and waits for them. */
  stop(): Promise<void>;
}

/** The wait after failed attempt number `attempt` (1-based): initial × 2^(attempt−1), capped. */
export function webhookRetryDelayMs(attempt: number, options: { initialBackoffMs: number; maxBackoffMs: number }): number {
  return Math.min(options.maxBackoffMs, options.initialBackoffMs * 2 ** Math.min(Math.max(attempt - 1, 0), 40));
}

export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
  const settings = { ...webhookSenderDefaults, ...definedOnly(options) };
  const repository = options.store.webhooks;
  const log = options.log ?? (() => {});
  const stopping = new AbortController();
  const perWebhook = new Map<string, number>();
  const attempts = new Set<Promise<void>>();
  let active = 0;
  let passing: Promise<void> | null = null;
  let again = false;
  let started = false;
  let unsubscribe: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Number.POSITIVE_INFINITY;
  let lastPrune = 0;

  /** Reads the outbox now, or right after the read in progress. */
  function kick(): void {
    if (stopping.signal.aborted) return;
    if (passing) {
      again = true;
      return;
    }
    passing = pass().finally(() => {
      passing = null;
      wakeAt(Date.now() + settings.pollIntervalMs);
    });
  }

  /** Makes sure the outbox is read again no later than `at`. */
  function wakeAt(at: number): void {
    if (stopping.signal.aborted || at >= timerAt) return;
    clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(() => {
      timer = undefined;
      timerAt = Number.POSITIVE_INFINITY;
      kick();
    }, Math.max(0, at - Date.now()));
    // The API server keeps a Baton process alive; the sender alone must not.
    timer.unref();
  }

  async function pass(): Promise<void> {
    do {
      again = false;
      const free = settings.maxConcurrent - active;
      if (free <= 0) return;
      let claimed: ClaimedDelivery[];
      try {
        claimed = await repository.claimDue({
          now: new Date(),
          limit: free,
          leaseMs: settings.attemptTimeoutMs + leaseMarginMs,
          inFlight: perWebhook,
          maxPerWebhook: settings.maxPerWebhook,
        });
      } catch (error) {
        if (!stopping.signal.aborted) log(`webhooks: reading the outbox failed: ${(error as Error).message}; retrying in ${settings.pollIntervalMs} ms`);
        return;
      }
      for (const claim of claimed) launch(claim);
      // A full batch: more may be due once slots free up (each finished attempt reads again).
    } while (again && !stopping.signal.aborted);
    pruneNowAndThen();
  }

  function launch(claim: ClaimedDelivery): void {
    active += 1;
    perWebhook.set(claim.webhookId, (perWebhook.get(claim.webhookId) ?? 0) + 1);
    const attempt = send(claim)
      .catch((error: Error) => log(`webhooks: delivery ${claim.eventId} to ${claim.webhookId}: ${error.message}`))
      .finally(() => {
        active -= 1;
        const left = (perWebhook.get(claim.webhookId) ?? 1) - 1;
        if (left === 0) perWebhook.delete(claim.webhookId);
        else perWebhook.set(claim.webhookId, left);
        attempts.delete(attempt);
        // The run's next event for this webhook may be due now, or a slot is free for another.
        kick();
      });
    attempts.add(attempt);
  }

  async function send(claim: ClaimedDelivery): Promise<void> {
    const body = JSON.stringify(webhookEventBody(claim));
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Baton-Webhooks/1',
      [timestampHeader]: timestamp,
      [signatureHeader]: signBatonRequest(claim.secret, timestamp, body),
      [eventIdHeader]: claim.eventId,
      [eventTypeHeader]: claim.type,
    };
    let responseStatus: number | null = null;
    let error: string | null = null;
    const began = performance.now();
    try {
      const response = await options.egress.fetch(claim.url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.any([AbortSignal.timeout(settings.attemptTimeoutMs), stopping.signal]),
      });
      responseStatus = response.status;
      if (response.ok) {
        // The status is the answer; a receiver still streaming its body has nothing to add.
        await response.body?.cancel().catch(() => {});
      } else {
        const excerpt = await bodyExcerpt(response);
        error = `answered ${response.status}${excerpt ? `: ${excerpt}` : ''}`;
      }
    } catch (caught) {
      if (stopping.signal.aborted) {
        // Not the receiver's fault: due again at once when a sender next runs.
        await repository.release(claim);
        return;
      }
      error = describeFailure(caught, settings.attemptTimeoutMs);
    }
    const at = new Date();
    const outcome: AttemptOutcome = { at, status: 'delivered', responseStatus, error: null, nextAttemptAt: null };
    if (error !== null) {
      const next = at.getTime() + webhookRetryDelayMs(claim.attempts + 1, settings);
      const giveUp = next > claim.enqueuedAt.getTime() + settings.retryForMs;
      Object.assign(outcome, { status: giveUp ? 'failed' : 'pending', error, nextAttemptAt: giveUp ? null : new Date(next) });
      if (giveUp) log(`webhooks: gave up on event ${claim.eventId} (${claim.type}, run ${claim.runId}) for webhook ${claim.webhookId} after ${claim.attempts + 1} attempts: ${error}`);
    }
    options.observe?.(outcome.status === 'pending' ? 'retrying' : outcome.status, (performance.now() - began) / 1000);
    await repository.recordAttempt(claim, outcome);
    if (outcome.status === 'pending' && outcome.nextAttemptAt) wakeAt(outcome.nextAttemptAt.getTime());
  }

  function pruneNowAndThen(): void {
    const now = Date.now();
    if (now - lastPrune < pruneEveryMs) return;
    lastPrune = now;
    repository.prune(new Date(now - settings.retentionMs)).catch((error: Error) => log(`webhooks: pruning old deliveries failed: ${error.message}`));
  }

  return {
    start() {
      if (started) return;
      started = true;
      // Only a write that queued deliveries says so; a notice can be lost, which the poll covers.
      unsubscribe = options.store.runFeed.subscribe((change) => {
        if (change.enqueued) kick();
      });
      kick();
    },
    async stop() {
      if (stopping.signal.aborted) return;
      stopping.abort();
      unsubscribe?.();
      clearTimeout(timer);
      await passing;
      await Promise.allSettled([...attempts]);
    },
  };
}

function definedOnly(options: WebhookSenderOptions): Partial<typeof webhookSenderDefaults> {
  const picked: Record<string, number> = {};
  for (const key of Object.keys(webhookSenderDefaults) as Array<keyof typeof webhookSenderDefaults>) {
    const value = options[key];
    if (value !== undefined) picked[key] = value;
  }
  return picked;
}

/** The start of the answer's body (a receiver's error message), read no further than needed. */
async function bodyExcerpt(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length <= maxErrorBodyChars) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const trimmed = text.trim();
  return trimmed.length > maxErrorBodyChars ? `${trimmed.slice(0, maxErrorBodyChars)}…` : trimmed;
}

function describeFailure(error: unknown, timeoutMs: number): string {
  const refusal = egressRefusal(error);
  if (refusal) return `refused by the egress policy: ${refusal.message}`;
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : (error as Error).message;
  return `unreachable: ${cause}`;
}
