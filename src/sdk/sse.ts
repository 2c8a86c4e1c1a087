// A reader of `text/event-stream` bodies, as the HTML standard's EventSource parses them, over
// fetch's body stream: no dependency, any chunking (a line, a CRLF or a UTF-8 character split
// across chunks), comments, multi-line data, and the last event id carried over.

/** One dispatched event. */
export interface ServerSentEvent {
  /** The `event:` field, `message` when absent. */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
  /** The last `id:` seen so far in the stream (ids carry over to later events), `''` before any. */
  id: string;
}

/** Feeds decoded text in; hands out each event once its blank line has arrived. */
export class ServerSentEventParser {
  /** The last `retry:` the stream sent (milliseconds), if any: how long to wait before reconnecting. */
  retryMs: number | undefined;
  private buffer = '';
  // A chunk ended with CR: a LF starting the next chunk belongs to the same line end.
  private afterCr = false;
  private data: string[] = [];
  private eventType = '';
  private lastEventId = '';

  push(text: string): ServerSentEvent[] {
    const events: ServerSentEvent[] = [];
    if (text === '') return events;
    let start = 0;
    if (this.afterCr && text.startsWith('\n')) start = 1;
    this.afterCr = false;
    let line = this.buffer;
    for (let index = start; index < text.length; index++) {
      const char = text[index];
      if (char !== '\n' && char !== '\r') continue;
      line += text.slice(start, index);
      const event = this.line(line);
      if (event) events.push(event);
      line = '';
      if (char === '\r') {
        if (index + 1 === text.length) this.afterCr = true;
        else if (text[index + 1] === '\n') index++;
      }
      start = index + 1;
    }
    this.buffer = line + text.slice(start);
    return events;
  }

  private line(line: string): ServerSentEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
        // Unknown fields are ignored.
    }
    return undefined;
  }

  private dispatch(): ServerSentEvent | undefined {
    const data = this.data;
    const event = this.eventType || 'message';
    this.data = [];
    this.eventType = '';
    // A block without data (a lone `id:` or `retry:`, or only comments) dispatches nothing.
    if (data.length === 0) return undefined;
    return { event, data: data.join('\n'), id: this.lastEventId };
  }
}

/**
 * The events of an event-stream body, in order. An event cut off by the end of the body is
 * dropped, as EventSource drops it. Stopping the iteration early cancels the body.
 */
export async function* readServerSentEvents(body: ReadableStream<Uint8Array>, parser = new ServerSentEventParser()): AsyncGenerator<ServerSentEvent> {
  // The stream is UTF-8 by definition; a leading byte order mark is skipped.
  const decoder = new TextDecoder('utf-8');
  const reader = body.getReader();
  let done = false;
  try {
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) {
        done = true;
        yield* parser.push(decoder.decode());
        return;
      }
      yield* parser.push(decoder.decode(chunk.value, { stream: true }));
    }
  } finally {
    if (!done) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}
