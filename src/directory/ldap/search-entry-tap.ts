/**
 * Takes the SearchResultEntry messages of one ldapts connection out of its message stream and
 * reads them with `SearchEntryRows`, straight from the socket's bytes; every other well-formed
 * message (bind, SearchResultDone with its controls and result code, SearchResultReference,
 * extended responses) goes to ldapts's own parser exactly as before, one whole message at a time.
 *
 * The tap fails closed. ldapts 8.2's parser loops for ever on some malformed entries (an
 * attribute list or a protocolOp whose length runs past its message, a message id 0 bytes long:
 * test/directory/ldap/search-entry-rows.test.ts, malformed-entries.test.ts), so no
 * SearchResultEntry and nothing that does not frame ever reaches it. Anything the tap cannot
 * read -- a message that does not frame (another outer tag, an indefinite or over-long length,
 * more than MAX_MESSAGE_BYTES), a header that is not `messageID INTEGER` then a protocolOp inside
 * the message, a malformed entry, an entry for no open search, any error while reading --
 * fails the open search (an 'error' of the parser carrying its message id, which is how ldapts
 * rejects an operation whose answer it cannot parse) and destroys the socket; from then on every
 * byte is dropped and `failure()` says why, so no later search starts on that connection.
 *
 * Framing follows RFC 4511 §4.1.1: each LDAPMessage is a SEQUENCE with a definite length;
 * a message may span TCP chunks and a chunk may hold many messages. Chunks of a partial message
 * are kept in a list and joined once, when the whole message has arrived.
 *
 * Only for a connection that does nothing but the listing (the import's own connection), and
 * removed only once that connection is closed. ldapts's parser, socket and pending-operation map
 * are private members of its Client, reached here by name: ldapts is pinned to one exact version
 * in package.json, and test/directory/ldap/ldapts-internals.test.ts fails if their shape changes.
 */
import type { Socket } from 'node:net';
import { MessageParserError, SearchResponse, type Client, type MessageParser } from 'ldapts';
import { EntryShapeError, readLength, type EntryRow, type SearchEntryRows } from './search-entry-rows.js';

const LDAP_MESSAGE = 0x30;
const INTEGER = 0x02;
const SEARCH_REQUEST = 0x63;
const SEARCH_RESULT_ENTRY = 0x64;

/** The largest LDAPMessage the import accepts (a user entry with a photo is well under 1 MB). */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

type Read = MessageParser['read'];
type PendingOperations = Parameters<Read>[1];

/** The private members of ldapts's Client the tap relies on (ldapts 8.2). */
export interface LdaptsInternals {
  messageParser: MessageParser;
  /** The connected socket; undefined once ldapts destroyed it. */
  readonly socket: Socket | undefined;
  /** Destroys the socket the way ldapts does (the client is disconnected at once; pending operations fail on 'close'). */
  destroySocket(): void;
}

/** ldapts's private members, checked: throws if the installed ldapts no longer has this shape. */
export function ldaptsInternals(client: Client): LdaptsInternals {
  const raw = client as unknown as {
    messageParser?: unknown;
    messageDetailsByMessageId?: unknown;
    socketDataHandler?: unknown;
    socket?: Socket;
    _destroySocket?: (socket: Socket | undefined) => void;
  };
  const parser = raw.messageParser as MessageParser | undefined;
  const destroy = raw._destroySocket;
  if (
    typeof parser?.read !== 'function' ||
    typeof parser.emit !== 'function' ||
    !(raw.messageDetailsByMessageId instanceof Map) ||
    typeof raw.socketDataHandler !== 'function' ||
    typeof destroy !== 'function'
  ) {
    throw new Error(
      'ldapts Client no longer has messageParser.read, messageDetailsByMessageId, socketDataHandler and _destroySocket: the search-entry tap needs the pinned ldapts version',
    );
  }
  return {
    messageParser: parser,
    get socket() {
      return raw.socket;
    },
    destroySocket() {
      if (raw.socket) destroy.call(client, raw.socket);
    },
  };
}

export interface SearchEntryTap {
  /** The rows read since the last call (entries without an id or name carry their DN). */
  take(): EntryRow[];
  /** The SearchResultDone ldapts parsed since the last call (its controls carry the paging cookie). */
  takeDone(): SearchResponse | undefined;
  /** Why the tap failed the connection, if it did (no search may start on it then). */
  failure(): Error | undefined;
  /** Gives the parser back to ldapts; call once the connection is closed (an open socket is destroyed first). */
  remove(): void;
}

export function tapSearchEntries(client: Client, reader: SearchEntryRows): SearchEntryTap {
  const internals = ldaptsInternals(client);
  const parser = internals.messageParser;
  const ldaptsRead: Read = parser.read.bind(parser);
  let rows: EntryRow[] = [];
  let done: SearchResponse | undefined;
  /** Chunks of the message not yet complete, their total size, and the size it needs (once known). */
  let chunks: Buffer[] = [];
  let buffered = 0;
  let needed = 0;
  let failed: Error | undefined;

  const onMessage = (message: unknown): void => {
    if (message instanceof SearchResponse) done = message;
  };
  parser.on('message', onMessage);

  /** Fails the open search (if any) and the connection; every later byte is dropped. */
  const fail = (reason: string, operations: PendingOperations): void => {
    const failure = new MessageParserError(reason);
    failed = failure;
    chunks = [];
    buffered = 0;
    const search = openSearch(operations);
    if (search !== undefined) {
      failure.messageDetails = { messageId: search, protocolOperation: SEARCH_RESULT_ENTRY };
      parser.emit('error', failure);
    }
    internals.destroySocket();
  };

  /** Reads every whole message in `buf`; returns where the unread rest starts. */
  const consume = (buf: Buffer, operations: PendingOperations): number => {
    let at = 0;
    while (at < buf.length) {
      const size = messageSize(buf, at);
      if (size === null) break;
      if (typeof size === 'string') {
        fail(`LDAP message does not frame: ${size}`, operations);
        return buf.length;
      }
      if (at + size > buf.length) {
        needed = size;
        break;
      }
      const end = at + size;
      const header = readHeader(buf, at, end);
      if (typeof header === 'string') {
        fail(`malformed LDAPMessage: ${header}`, operations);
        return buf.length;
      }
      if (header.op !== SEARCH_RESULT_ENTRY) ldaptsRead(buf.subarray(at, end), operations);
      else if (!isOpenSearch(operations, header.messageId)) {
        fail(`unsolicited SearchResultEntry (message id ${header.messageId}, no such search open)`, operations);
        return buf.length;
      } else {
        try {
          rows.push(reader.read(buf, header.start, header.end));
        } catch (err) {
          if (!(err instanceof EntryShapeError)) throw err;
          fail(`malformed SearchResultEntry: ${err.message}`, operations);
          return buf.length;
        }
      }
      at = end;
    }
    return at;
  };

  const read: Read = (data, operations) => {
    if (failed) return;
    chunks.push(data);
    buffered += data.length;
    if (buffered < needed || buffered < 2) return;
    const buf = chunks.length === 1 ? data : Buffer.concat(chunks, buffered);
    chunks = [];
    buffered = 0;
    needed = 0;
    try {
      const at = consume(buf, operations);
      // A partial message waits for further chunks (copied: the chunk itself can then go).
      if (!failed && at < buf.length) {
        chunks = [Buffer.from(buf.subarray(at))];
        buffered = buf.length - at;
      }
    } catch (err) {
      fail(`reading the search answer failed: ${err instanceof Error ? err.message : String(err)}`, operations);
    }
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
    failure() {
      return failed;
    },
    remove() {
      // Fail closed to the end: no byte of this connection reaches ldapts's entry parser.
      internals.destroySocket();
      chunks = [];
      buffered = 0;
      parser.read = ldaptsRead;
      parser.off('message', onMessage);
    },
  };
}

/** The message id of the search ldapts has open on this connection, if any. */
function openSearch(operations: PendingOperations): number | undefined {
  for (const [id, { message }] of operations) if (message.protocolOperation === SEARCH_REQUEST) return Number(id);
  return undefined;
}

function isOpenSearch(operations: PendingOperations, messageId: number): boolean {
  return operations.get(String(messageId))?.message.protocolOperation === SEARCH_REQUEST;
}

/**
 * The size of the LDAPMessage starting at `at` (header included): null when its header has not
 * all arrived yet, a reason when the bytes cannot be a message the import accepts.
 */
function messageSize(buf: Buffer, at: number): number | string | null {
  if (buf[at] !== LDAP_MESSAGE) return `tag 0x${buf[at]!.toString(16)} where an LDAPMessage SEQUENCE starts`;
  if (at + 1 >= buf.length) return null;
  const first = buf[at + 1]!;
  const lengthBytes = first < 0x80 ? 0 : first & 0x7f;
  if (first >= 0x80 && (lengthBytes === 0 || lengthBytes > 4)) return first === 0x80 ? 'indefinite length' : `${lengthBytes}-byte length`;
  if (at + 2 + lengthBytes > buf.length) return null;
  const [length, start] = readLength(buf, at + 1, buf.length);
  const size = start - at + length;
  return size > MAX_MESSAGE_BYTES ? `${length} bytes, above the ${MAX_MESSAGE_BYTES}-byte limit` : size;
}

interface Header {
  messageId: number;
  op: number;
  /** [start, end) of the protocolOp's contents. */
  start: number;
  end: number;
}

/**
 * The message id and protocolOp of the whole LDAPMessage at [at, end), or why it is not one:
 * `messageID INTEGER (0 .. 2^31 - 1)` in 1 to 4 bytes, then a protocolOp that ends inside the
 * message (RFC 4511 §4.1.1; controls may follow it, §4.1.11).
 */
function readHeader(buf: Buffer, at: number, end: number): Header | string {
  try {
    const [, start] = readLength(buf, at + 1, end);
    if (buf[start] !== INTEGER) return 'no messageID INTEGER';
    const [idLength, idStart] = readLength(buf, start + 1, end);
    if (idLength < 1 || idLength > 4) return `a messageID of ${idLength} bytes`;
    const op = idStart + idLength;
    if (op >= end) return 'no protocolOp';
    if (buf[idStart]! >= 0x80) return 'a negative messageID';
    let messageId = 0;
    for (let i = idStart; i < op; i++) messageId = messageId * 256 + buf[i]!;
    const [opLength, opStart] = readLength(buf, op + 1, end);
    const opEnd = opStart + opLength;
    if (opEnd > end) return `a protocolOp (0x${buf[op]!.toString(16)}) running past its message`;
    return { messageId, op: buf[op]!, start: opStart, end: opEnd };
  } catch (err) {
    if (err instanceof EntryShapeError) return err.message;
    throw err;
  }
}
