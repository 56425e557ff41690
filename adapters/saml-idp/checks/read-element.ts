/** Reading the trusted request element: through the SAML core's helpers, by namespace and local name. */
import { onlyChild, simpleText, type XmlElement } from '../../../src/sdk/adapter.js';
import { SamlRejection } from '../rejection.js';

/** The single child of that name; null when absent; a rejection when repeated (schema maxOccurs=1). */
export function single(parent: XmlElement, ns: string, localName: string, what: string, relyingParty?: string): XmlElement | null {
  const found = onlyChild(parent, ns, localName);
  if (found === null) throw new SamlRejection('MALFORMED_XML', `the ${what} has more than one ${localName}`, { relyingParty });
  return found ?? null;
}

/** The text of a simple element, every text node joined (comments contribute nothing), trimmed; '' when it has element children. */
export function textOf(el: XmlElement): string {
  return (simpleText(el) ?? '').trim();
}
