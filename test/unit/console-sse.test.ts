import { describe, expect, it } from 'vitest';
import { parseSse } from '../../src/serve/console/sse.js';

describe('parseSse', () => {
  it('reads complete events and keeps an unfinished one for the next piece', () => {
    const { messages, rest } = parseSse('id: 0\nevent: events\ndata: {"a":1}\n\nid: 1\nevent: ev');
    expect(messages).toEqual([{ id: '0', event: 'events', data: '{"a":1}' }]);
    expect(rest).toBe('id: 1\nevent: ev');
    const more = parseSse(`${rest}ents\ndata: {"b":2}\n\n`);
    expect(more).toEqual({ messages: [{ id: '1', event: 'events', data: '{"b":2}' }], rest: '' });
  });

  it('joins data lines, skips comments, and takes CRLF, CR and a field without a colon', () => {
    const { messages } = parseSse(': keep-alive\r\n\r\ndata: one\r\ndata:two\rdata\n\nevent: end\ndata: {}\n\n');
    expect(messages).toEqual([
      { event: 'message', data: 'one\ntwo\n' },
      { event: 'end', data: '{}' },
    ]);
  });

  it('waits for the LF of a CRLF split across two pieces', () => {
    const first = parseSse('data: x\r\n\r');
    expect(first.messages).toEqual([]);
    expect(parseSse(`${first.rest}\n`).messages).toEqual([{ event: 'message', data: 'x' }]);
  });

  it('keeps a colon inside the value', () => {
    expect(parseSse('data: {"url":"http://x"}\n\n').messages[0]?.data).toBe('{"url":"http://x"}');
  });
});
