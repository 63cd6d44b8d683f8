/**
 * Server-Sent Events read from a response body by hand, so the console can send `Authorization` (a browser's
 * `EventSource` cannot) and say where to resume with `Last-Event-ID`. Pure: the browser and the tests share it.
 */

/** One Server-Sent Event: its `id:` (the stream offset here), its `event:` name and its `data:` lines joined. */
export interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

/**
 * Splits the text read so far into the complete events it holds and the rest (an event not finished yet), after
 * the rules of the EventSource standard: CRLF, CR or LF end a line; a blank line ends an event; lines starting with
 * `:` are comments; a field without a colon has an empty value; one space after the colon is dropped.
 */
export function parseSse(text: string): { messages: SseMessage[]; rest: string } {
  const messages: SseMessage[] = [];
  const lineEnd = /\r\n|\r|\n/g;
  let block: string[] = [];
  let start = 0;
  let consumed = 0;
  for (let match = lineEnd.exec(text); match; match = lineEnd.exec(text)) {
    // A CR at the very end may be the first half of a CRLF: wait for the next piece.
    if (match[0] === '\r' && match.index === text.length - 1) break;
    const line = text.slice(start, match.index);
    start = match.index + match[0].length;
    if (line !== '') {
      block = [...block, line];
      continue;
    }
    const message = messageOf(block);
    if (message) messages.push(message);
    block = [];
    consumed = start;
  }
  return { messages, rest: text.slice(consumed) };
}

/** The event the lines of one block make, or none for a block of comments only. */
function messageOf(block: string[]): SseMessage | undefined {
  let id: string | undefined;
  let event = 'message';
  const data: string[] = [];
  let any = false;
  for (const line of block) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    any = true;
    if (field === 'id') id = value;
    else if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (!any) return undefined;
  return { ...(id !== undefined ? { id } : {}), event, data: data.join('\n') };
}
