/**
 * Takes the SearchResultEntry messages of one ldapts connection out of its message stream and
 * reads them with `SearchEntryRows`, straight from the socket's bytes; every other message (bind,
 * SearchResultDone with its controls and result code, SearchResultReference, extended
 * responses) goes to ldapts's own parser exactly as before, one whole message at a time.
 *
 * A malformed entry fails its search here, as ldapts fails a search whose message it cannot
 * parse (an 'error' of the parser carrying the message id, which rejects that operation): it is
 * not handed to ldapts, whose entry parser loops for ever on an attribute list whose length runs
 * past the entry (ldapts 8.2; test/directory/ldap/search-entry-rows.test.ts).
 *
 * Framing follows RFC 4511 §4.1.1: each LDAPMessage is a SEQUENCE with a definite length;
 * a message may span TCP chunks and a chunk may hold many messages. Something that does not
 * frame (another tag, an indefinite or over-long length) ends the tap: from there on ldapts
 * reads the stream, and reports the error it reports today.
 *
 * Only for a connection that does nothing but the listing (the import's own connection):
 * ldapts's parser is a private member of its Client, reached here by name (ldapts 8).
 */
import { MessageParserError, SearchResponse, type Client, type MessageParser } from 'ldapts';
import { EntryShapeError, readLength, type EntryRow, type SearchEntryRows } from './search-entry-rows.js';

const LDAP_MESSAGE = 0x30;
const INTEGER = 0x02;
const SEARCH_RESULT_ENTRY = 0x64;

type Read = MessageParser['read'];

export interface SearchEntryTap {
  /** The rows read since the last call (entries without an id or name carry their DN). */
  take(): EntryRow[];
  /** The SearchResultDone ldapts parsed since the last call (its controls carry the paging cookie). */
  takeDone(): SearchResponse | undefined;
  /** Gives the stream back to ldapts alone. */
  remove(): void;
}

export function tapSearchEntries(client: Client, reader: SearchEntryRows): SearchEntryTap {
  const parser = (client as unknown as { messageParser: MessageParser }).messageParser;
  const ldaptsRead: Read = parser.read.bind(parser);
  let rows: EntryRow[] = [];
  let done: SearchResponse | undefined;
  let pending: Buffer | null = null;
  let bypass = false;

  const onMessage = (message: unknown): void => {
    if (message instanceof SearchResponse) done = message;
  };
  parser.on('message', onMessage);

  const read: Read = (data, details) => {
    if (bypass) return ldaptsRead(data, details);
    const buf = pending === null ? data : Buffer.concat([pending, data]);
    pending = null;
    let at = 0;
    while (at < buf.length) {
      const end = frame(buf, at);
      if (end === null) break;
      if (end < 0) {
        // Not an LDAP message we can frame: ldapts reads the rest and reports it.
        bypass = true;
        return ldaptsRead(buf.subarray(at), details);
      }
      const entry = entryContents(buf, at, end);
      if (entry === null) ldaptsRead(buf.subarray(at, end), details);
      else {
        try {
          rows.push(reader.read(buf, entry.start, entry.end));
        } catch (err) {
          if (!(err instanceof EntryShapeError)) throw err;
          const failure = new MessageParserError(`malformed SearchResultEntry: ${err.message}`);
          failure.messageDetails = { messageId: entry.messageId, protocolOperation: SEARCH_RESULT_ENTRY };
          parser.emit('error', failure);
        }
      }
      at = end;
    }
    // A partial message waits for the next chunk (copied: the chunk itself can then go).
    if (at < buf.length) pending = Buffer.from(buf.subarray(at));
  };
  parser.read = read;

  return {
    take() {
      const out = rows;
      rows = [];
      return out;
    },
    takeDone() {
      const out = done;
      done = undefined;
      return out;
    },
    remove() {
      parser.read = ldaptsRead;
      parser.off('message', onMessage);
      if (pending !== null) {
        const rest = pending;
        pending = null;
        ldaptsRead(rest, new Map());
      }
    },
  };
}

/**
 * The end of the LDAPMessage starting at `at`: null when it has not all arrived yet, -1 when
 * the bytes are not a message this framing knows.
 */
function frame(buf: Buffer, at: number): number | null {
  if (buf[at] !== LDAP_MESSAGE) return -1;
  if (at + 1 >= buf.length) return null;
  const first = buf[at + 1]!;
  const lengthBytes = first < 0x80 ? 0 : first & 0x7f;
  if (first >= 0x80 && (lengthBytes === 0 || lengthBytes > 4)) return -1;
  if (at + 2 + lengthBytes > buf.length) return null;
  const [length, start] = readLength(buf, at + 1, buf.length);
  const end = start + length;
  return end > buf.length ? null : end;
}

/**
 * For a SearchResultEntry, its message id and the [start, end) of its protocolOp contents; null
 * for any other message, or one whose header is not as expected (ldapts then reads it).
 */
function entryContents(buf: Buffer, at: number, end: number): { messageId: number; start: number; end: number } | null {
  try {
    const [, start] = readLength(buf, at + 1, end);
    // messageID INTEGER (0 .. 2^31 - 1, RFC 4511 §4.1.1.1)
    if (buf[start] !== INTEGER) return null;
    const [idLength, idStart] = readLength(buf, start + 1, end);
    if (idLength < 1 || idLength > 4) return null;
    const op = idStart + idLength;
    if (op >= end || buf[op] !== SEARCH_RESULT_ENTRY) return null;
    let messageId = 0;
    for (let i = idStart; i < op; i++) messageId = messageId * 256 + buf[i]!;
    const [opLength, opStart] = readLength(buf, op + 1, end);
    const opEnd = opStart + opLength;
    // Controls may follow the protocolOp (RFC 4511 §4.1.11); an entry's are not used.
    return opEnd > end ? null : { messageId, start: opStart, end: opEnd };
  } catch (err) {
    if (err instanceof EntryShapeError) return null;
    throw err;
  }
}
