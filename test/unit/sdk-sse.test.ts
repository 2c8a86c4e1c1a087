import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readServerSentEvents, ServerSentEventParser, type ServerSentEvent } from '../../src/sdk/sse.ts';

const encoder = new TextEncoder();

/** A body that delivers exactly these byte chunks; `cancelled` tells whether the reader gave up on it. */
function body(chunks: Uint8Array[]) {
  const state = { cancelled: false };
  let index = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (index < chunks.length) controller.enqueue(chunks[index++]!);
      else controller.close();
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

async function eventsOf(chunks: Uint8Array[]): Promise<ServerSentEvent[]> {
  const events: ServerSentEvent[] = [];
  for await (const event of readServerSentEvents(body(chunks).stream)) events.push(event);
  return events;
}

const parse = (text: string) => eventsOf([encoder.encode(text)]);

/** The bytes of `text` cut at the given offsets (sorted, deduplicated, inside the text). */
function cut(text: string, offsets: number[]): Uint8Array[] {
  const bytes = encoder.encode(text);
  const points = [...new Set(offsets.map((offset) => offset % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let previous = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.slice(previous, point));
    previous = point;
  }
  return chunks;
}

describe('the event-stream reader of the SDK', () => {
  it('reads the event name, the id and the data of each event', async () => {
    expect(await parse('event: run\nid: wfr_1:3\ndata: {"a":1}\n\nevent: run\nid: wfr_1:4\ndata: {"a":2}\n\n')).toEqual([
      { event: 'run', id: 'wfr_1:3', data: '{"a":1}' },
      { event: 'run', id: 'wfr_1:4', data: '{"a":2}' },
    ]);
  });

  it('joins multi-line data with line feeds and names an unnamed event `message`', async () => {
    expect(await parse('data: first\ndata:second\ndata\ndata:  spaced\n\n')).toEqual([{ event: 'message', id: '', data: 'first\nsecond\n\n spaced' }]);
  });

  it('skips comments (heartbeats) and dispatches nothing for a block without data', async () => {
    expect(await parse(': connected\n\n: keep-alive\n\nid: 7\n\nretry: 250\n\nevent: run\n\ndata: x\n\n')).toEqual([
      // The id of a data-less block still carries over; its event name does not.
      { event: 'message', id: '7', data: 'x' },
    ]);
  });

  it('carries the last id over to later events, ignores an id with NUL, and resets it with an empty id', async () => {
    expect(await parse('id: a\ndata: 1\n\ndata: 2\n\nid: b\u0000c\ndata: 3\n\nid\ndata: 4\n\n')).toEqual([
      { event: 'message', id: 'a', data: '1' },
      { event: 'message', id: 'a', data: '2' },
      { event: 'message', id: 'a', data: '3' },
      { event: 'message', id: '', data: '4' },
    ]);
  });

  it('ends lines at CRLF, CR or LF alike', async () => {
    const expected = [{ event: 'run', id: '1', data: 'a\nb' }, { event: 'run', id: '2', data: 'c' }];
    expect(await parse('event: run\r\nid: 1\r\ndata: a\r\ndata: b\r\n\r\nevent: run\r\nid: 2\r\ndata: c\r\n\r\n')).toEqual(expected);
    expect(await parse('event: run\rid: 1\rdata: a\rdata: b\r\revent: run\rid: 2\rdata: c\r\r')).toEqual(expected);
    expect(await parse('event: run\nid: 1\r\ndata: a\rdata: b\n\revent: run\rid: 2\ndata: c\r\n\n')).toEqual(expected);
  });

  it('treats a CR at the end of a chunk and the LF starting the next as one line end', async () => {
    // Read as two line ends, the CR LF would end the event after `a` and split it in two.
    expect(await eventsOf([encoder.encode('data: a\r'), encoder.encode('\ndata: b\r'), encoder.encode('\n\r'), encoder.encode('\n')])).toEqual([
      { event: 'message', id: '', data: 'a\nb' },
    ]);
    // An empty chunk in between changes nothing.
    expect(await eventsOf([encoder.encode('data: a\r'), new Uint8Array(0), encoder.encode('\ndata: b\n\n')])).toEqual([{ event: 'message', id: '', data: 'a\nb' }]);
  });

  it('decodes a UTF-8 character split across chunks, and skips a leading byte order mark', async () => {
    const bytes = encoder.encode('\uFEFFdata: café 🚀\n\n');
    // Cut inside the BOM, inside é (2 bytes) and inside the rocket (4 bytes).
    const chunks = [bytes.slice(0, 2), bytes.slice(2, 13), bytes.slice(13, 16), bytes.slice(16)];
    expect(await eventsOf(chunks)).toEqual([{ event: 'message', id: '', data: 'café 🚀' }]);
  });

  it('drops an event the body cuts off before its blank line', async () => {
    expect(await parse('data: complete\n\ndata: cut off\n')).toEqual([{ event: 'message', id: '', data: 'complete' }]);
    expect(await parse('data: complete\n\ndata: cut off')).toEqual([{ event: 'message', id: '', data: 'complete' }]);
  });

  it('reads the same events however the body is cut into chunks', async () => {
    const text = '\uFEFF: connected\r\n\r\nevent: run\nid: wfr_9:1\ndata: {"output":{"status":"paused","message":"Ré\\nsumé ✓"}}\r\rdata: line one\r\ndata: line two\r\n\r\n: keep-alive\n\nretry: 900\nevent: run\nid: wfr_9:2\ndata: 🚀\n\n';
    const expected = await parse(text);
    expect(expected).toHaveLength(3);
    await fc.assert(fc.asyncProperty(fc.array(fc.nat(), { maxLength: 12 }), async (offsets) => {
      expect(await eventsOf(cut(text, offsets))).toEqual(expected);
    }), { numRuns: 300 });
    // And byte by byte.
    expect(await eventsOf([...encoder.encode(text)].map((byte) => Uint8Array.of(byte)))).toEqual(expected);
  });

  it('keeps the last retry the stream sent, in milliseconds, and ignores one that is not a number', () => {
    const parser = new ServerSentEventParser();
    parser.push('retry: 2500\n\n');
    expect(parser.retryMs).toBe(2500);
    parser.push('retry: soon\nretry: -1\n\n');
    expect(parser.retryMs).toBe(2500);
  });

  it('cancels the body when the reader stops early', async () => {
    const { stream, state } = body([encoder.encode('data: 1\n\n'), encoder.encode('data: 2\n\n'), encoder.encode('data: 3\n\n')]);
    for await (const event of readServerSentEvents(stream)) {
      expect(event.data).toBe('1');
      break;
    }
    expect(state.cancelled).toBe(true);
    expect(stream.locked).toBe(false);
  });
});
