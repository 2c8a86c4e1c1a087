// One Server-Sent Events response body: messages, a heartbeat comment, an optional end after a
// while, and one cleanup call however the stream ends (the client left, the server ended it).

const encoder = new TextEncoder();

/** The headers of every event stream; no proxy may cache or buffer it (X-Accel-Buffering: nginx). */
export const eventStreamHeaders = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
} as const;

/** One message: `event:`, `id:` and `data:` lines, then the blank line that dispatches it. */
export function sseMessage(message: { event: string; id: string; data: string }): string {
  // Field values must not break a line: ids and names are ours; data is split as the format says.
  const data = message.data.split(/\r\n|\r|\n/).map((line) => `data: ${line}`).join('\n');
  return `event: ${message.event}\nid: ${message.id}\n${data}\n\n`;
}

export interface EventStreamOptions {
  /** A comment line this often keeps proxies and load balancers from closing an idle connection. */
  heartbeatMs: number;
  /** Ends the stream after this long; unset: it stays open until closed or the client leaves. */
  timeoutMs?: number;
  /**
   * Bytes written but not yet taken by the connection past which the client counts as gone: a
   * client that stops reading must not make the server buffer for it without end.
   */
  maxBufferedBytes: number;
  /** Called exactly once when the stream ends, for whatever reason. */
  onEnd: () => void;
}

export interface EventStream {
  /** The response body. */
  readonly body: ReadableStream<Uint8Array>;
  readonly ended: boolean;
  /** Queues text for the client; ignored once the stream ended. */
  write(text: string): void;
  /** Ends the stream normally (the client sees the end of the body). */
  close(): void;
}

export function createEventStream(options: EventStreamOptions): EventStream {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let ended = false;
  let timeout: NodeJS.Timeout | undefined;

  const end = (how: 'close' | 'abandon' | 'cancelled') => {
    if (ended) return;
    ended = true;
    clearInterval(heartbeat);
    clearTimeout(timeout);
    try {
      if (how === 'close') controller.close();
      // Erroring the body makes the HTTP server drop the connection instead of waiting on it.
      else if (how === 'abandon') controller.error(new Error('the client stopped reading the event stream'));
    } catch {
      // Already closed by the other side.
    }
    options.onEnd();
  };

  const body = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      // The HTTP server cancels the body when the connection closes: the client went away.
      cancel() {
        end('cancelled');
      },
    },
    // Counted in bytes, so desiredSize says how much the connection has not taken yet.
    { highWaterMark: options.maxBufferedBytes, size: (chunk) => chunk.byteLength },
  );

  const stream: EventStream = {
    body,
    get ended() {
      return ended;
    },
    write(text) {
      if (ended) return;
      controller.enqueue(encoder.encode(text));
      if ((controller.desiredSize ?? 0) < 0) end('abandon');
    },
    close() {
      end('close');
    },
  };

  const heartbeat = setInterval(() => stream.write(': keep-alive\n\n'), options.heartbeatMs);
  heartbeat.unref();
  if (options.timeoutMs !== undefined) {
    timeout = setTimeout(() => stream.close(), options.timeoutMs);
    timeout.unref();
  }
  return stream;
}
