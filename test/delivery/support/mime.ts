/**
 * Just enough MIME (RFC 2045-2047) to read what nodemailer writes: headers (unfolded,
 * encoded-words decoded), and the leaves of a multipart tree decoded from 7bit,
 * quoted-printable or base64. mailparser is not a dependency, and this keeps tests honest about
 * the bytes on the wire.
 */
export interface MimePart {
  headers: Map<string, string>;
  /** Decoded body for leaves; empty for multiparts. */
  body: string;
  parts: MimePart[];
}

export function decodeWords(value: string): string {
  // RFC 2047 §6.2: whitespace between adjacent encoded-words is not displayed.
  return value
    .replace(/(\?=)\s+(=\?)/g, '$1$2')
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_, charset: string, enc: string, text: string) => {
      const bytes =
        enc.toUpperCase() === 'B'
          ? Buffer.from(text, 'base64')
          : Buffer.from(
              text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
              'latin1',
            );
      return new TextDecoder(charset.toLowerCase()).decode(bytes);
    });
}

function decodeQuotedPrintable(s: string): string {
  const binary = s.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(binary, 'latin1').toString('utf8');
}

export function parseMime(raw: string): MimePart {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split === -1 ? raw : raw.slice(0, split);
  const rest = split === -1 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), decodeWords(line.slice(i + 1).trim()));
  }
  const type = headers.get('content-type') ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (type.toLowerCase().startsWith('multipart/') && boundary) {
    const chunks = rest.split(`--${boundary}`).slice(1);
    const parts = chunks.filter((c) => !c.startsWith('--')).map((c) => parseMime(c.replace(/^\r?\n/, '')));
    return { headers, body: '', parts };
  }
  const cte = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  const trimmed = rest.replace(/\r?\n$/, '');
  const body =
    cte === 'base64'
      ? Buffer.from(trimmed.replace(/\s+/g, ''), 'base64').toString('utf8')
      : cte === 'quoted-printable'
        ? decodeQuotedPrintable(trimmed)
        : trimmed;
  return { headers, body: body.replace(/\r\n/g, '\n'), parts: [] };
}

/** The first leaf of a content type anywhere in the tree. */
export function findPart(root: MimePart, contentType: string): MimePart | undefined {
  if (root.parts.length === 0) return (root.headers.get('content-type') ?? '').startsWith(contentType) ? root : undefined;
  for (const p of root.parts) {
    const found = findPart(p, contentType);
    if (found) return found;
  }
  return undefined;
}
