/**
 * The import's search: RFC 2696 paged results, each page's entries read as store rows by the
 * search-entry tap (search-entry-tap.ts) while ldapts sends the requests and reads the
 * SearchResultDone messages (result codes, referrals, controls) as it does for any search.
 *
 * ldapts's own `searchPaginated` cannot be used with the tap: it stops paging after a page that
 * brought it no entries, and here it sees none. The paged-results control is therefore sent by
 * us (a `Control` with the same OID and encoding as ldapts's `PagedResultsControl`, which its
 * `search()` refuses to take from a caller), and the cookie is read from the SearchResultDone
 * ldapts parsed. Paging goes on while the server returns a non-empty cookie (RFC 2696 §3), within
 * bounds a broken or hostile server cannot stretch: more than MAX_EMPTY_PAGES pages in a row
 * without an entry, or more than `maxEntries` entries in one search, fail the listing
 * (DIRECTORY_UNAVAILABLE once ldap-directory.ts maps the error). A cookie equal to the previous
 * one is no sign of a loop: RFC 2696 leaves the cookie opaque, and Samba AD returns the same one
 * on every page of a search.
 */
import { Ber, BerWriter, Control, PagedResultsControl, type BerWriter as Writer, type Client } from 'ldapts';
import type { EntryRow } from './search-entry-rows.js';
import type { SearchEntryTap } from './search-entry-tap.js';

/** Pages in a row that bring no entry before the search is given up (a server paging on empty). */
export const MAX_EMPTY_PAGES = 100;

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
  /** The most entries one search may return (the `maxListEntries` setting). */
  maxEntries: number;
}

export interface RowPage {
  /** Entries read by the tap, in the order they came (no entry reaches ldapts's parser). */
  rows: EntryRow[];
}

/**
 * The pages of a subtree search below `base` on `client`, a connection that does nothing else
 * meanwhile, read by `tap` (installed on that connection by the caller, removed after it closes).
 */
export async function* pagedRowSearch(client: Client, base: string, search: RowSearch, tap: SearchEntryTap): AsyncGenerator<RowPage> {
  let cookie: Buffer | undefined;
  let emptyPages = 0;
  let entries = 0;
  do {
    refuseFailed(tap);
    await client.search(
      base,
      { scope: 'sub', filter: search.filter, attributes: search.attributes, explicitBufferAttributes: search.explicitBufferAttributes },
      [new PagedRequest(search.pageSize, cookie)],
    );
    refuseFailed(tap);
    const paged = tap.takeDone()?.controls?.find((c): c is PagedResultsControl => c instanceof PagedResultsControl);
    const next = paged?.value?.cookie;
    const page = { rows: tap.take() };
    const count = page.rows.length;
    entries += count;
    emptyPages = count === 0 ? emptyPages + 1 : 0;
    if (entries > search.maxEntries) {
      throw new Error(`the server returned more than ${search.maxEntries} entries (maxListEntries); raise it if the directory really holds that many users`);
    }
    if (next?.length && emptyPages >= MAX_EMPTY_PAGES) throw new Error(`the server returned ${MAX_EMPTY_PAGES} pages in a row without an entry and still a paged-results cookie; paging given up`);
    cookie = next;
    yield page;
  } while (cookie !== undefined && cookie.length > 0);
}

/** A connection the tap failed (a malformed or unsolicited message) takes no further search. */
function refuseFailed(tap: SearchEntryTap): void {
  const failure = tap.failure();
  if (failure) throw failure;
}
