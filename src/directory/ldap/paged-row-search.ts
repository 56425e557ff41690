/**
 * The import's search: RFC 2696 paged results, each page's entries read as store rows by the
 * search-entry tap (search-entry-tap.ts) while ldapts sends the requests and reads the
 * SearchResultDone messages (result codes, referrals, controls) as it does for any search.
 *
 * ldapts's own `searchPaginated` cannot be used with the tap: it stops paging after a page that
 * brought it no entries, and here it sees none. The paged-results control is therefore sent by
 * us (a `Control` with the same OID and encoding as ldapts's `PagedResultsControl`, which its
 * `search()` refuses to take from a caller), and the cookie is read from the SearchResultDone
 * ldapts parsed. Paging goes on while the server returns a non-empty cookie (RFC 2696 §3).
 */
import { Ber, BerWriter, Control, PagedResultsControl, type BerWriter as Writer, type Client, type Entry } from 'ldapts';
import type { EntryRow, SearchEntryRows } from './search-entry-rows.js';
import { tapSearchEntries } from './search-entry-tap.js';

/** RFC 2696 §2: realSearchControlValue ::= SEQUENCE { size INTEGER, cookie OCTET STRING }. */
class PagedRequest extends Control {
  constructor(
    readonly size: number,
    readonly cookie: Buffer | undefined,
  ) {
    super(PagedResultsControl.type);
  }

  override writeControl(writer: Writer): void {
    const value = new BerWriter();
    value.startSequence();
    value.writeInt(this.size);
    if (this.cookie?.length) value.writeBuffer(this.cookie, Ber.OctetString);
    else value.writeString('');
    value.endSequence();
    writer.writeBuffer(value.buffer, Ber.OctetString);
  }
}

export interface RowSearch {
  filter: string;
  attributes: string[];
  explicitBufferAttributes: string[];
  pageSize: number;
}

export interface RowPage {
  /** Entries read by the tap, in the order they came. */
  rows: EntryRow[];
  /** Entries the tap handed to ldapts (a shape it does not read), as ldapts's search returns them. */
  entries: Entry[];
}

/** The pages of a subtree search below `base` on `client`, a connection that does nothing else meanwhile. */
export async function* pagedRowSearch(client: Client, base: string, search: RowSearch, reader: SearchEntryRows): AsyncGenerator<RowPage> {
  const tap = tapSearchEntries(client, reader);
  try {
    let cookie: Buffer | undefined;
    do {
      const { searchEntries } = await client.search(
        base,
        { scope: 'sub', filter: search.filter, attributes: search.attributes, explicitBufferAttributes: search.explicitBufferAttributes },
        [new PagedRequest(search.pageSize, cookie)],
      );
      const paged = tap.takeDone()?.controls?.find((c): c is PagedResultsControl => c instanceof PagedResultsControl);
      cookie = paged?.value?.cookie;
      yield { rows: tap.take(), entries: searchEntries };
    } while (cookie !== undefined && cookie.length > 0);
  } finally {
    tap.remove();
  }
}
