/**
 * Which NameID format a Response carries (SAML Core §3.4.1.1 NameIDPolicy, §8.3). A relying
 * party that pins `nameId.format` gets that format only: a request for another one (other than
 * `unspecified`, which leaves the choice to us) is answered InvalidNameIDPolicy. A relying party
 * that pins nothing gets `unspecified` unless its request asks for `transient` (a fresh opaque
 * id per response, §8.3.8) or `persistent` (a stable pairwise id, §8.3.7), which are honoured;
 * any other requested format is refused, since we could only send one it did not ask for.
 */
import { NAMEID_FORMATS, type NameIdFormatName, type RelyingPartyConfig } from './config.js';

/** Formats an unpinned relying party may ask for: both are opaque ids we can always issue. */
const HONOURED_WHEN_ASKED: readonly NameIdFormatName[] = ['transient', 'persistent'];

export interface NameIdChoice {
  format: NameIdFormatName;
  /** True when the relying party's configuration fixed the format (its `source` then applies as configured). */
  pinned: boolean;
}

/** The format to issue for `requested` (a NameIDPolicy Format URI, if any), or null for InvalidNameIDPolicy. */
export function chooseNameIdFormat(config: Pick<RelyingPartyConfig, 'nameId'>, requested: string | undefined): NameIdChoice | null {
  const pinned = config.nameId.format;
  if (requested === undefined || requested === NAMEID_FORMATS.unspecified) return { format: pinned ?? 'unspecified', pinned: pinned !== undefined };
  if (pinned !== undefined) return NAMEID_FORMATS[pinned] === requested ? { format: pinned, pinned: true } : null;
  const asked = HONOURED_WHEN_ASKED.find((f) => NAMEID_FORMATS[f] === requested);
  return asked === undefined ? null : { format: asked, pinned: false };
}
