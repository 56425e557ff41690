/**
 * The page shown after the second factor. Every value from the directory is escaped: a display
 * name is user-controlled text.
 */
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

export function greetingPage(input: { greeting: string; name: string; visits: number; lang: string; again: string }): string {
  const heading = `${input.greeting} ${input.name}`;
  return `<!doctype html>
<html lang="${escapeHtml(input.lang)}">
<head><meta charset="utf-8"><title>${escapeHtml(heading)}</title></head>
<body>
<h1>${escapeHtml(heading)}</h1>
<p id="visits">Visits after a second factor: <strong>${input.visits}</strong></p>
<p><a href="${escapeHtml(input.again)}">Once more</a> (asks for a second factor again)</p>
</body>
</html>
`;
}
