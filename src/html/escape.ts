/**
 * Everything that reaches the HTML report from a result or a scenario is untrusted text: a
 * scenario name, a URL with a query, YAML, a status-code key from a hand-edited JSON file.
 */

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Safe in element content and in quoted attribute values alike. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] as string);
}

/**
 * JSON for a `<script type="application/json">` block. `<` becomes `\u003c` so no `</script>` or
 * `<!--` can end or confuse the block; U+2028/2029 are escaped for older JS parsers.
 */
export function jsonForScript(data: unknown): string {
  return JSON.stringify(data)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** An id fragment from free text: letters, digits, `-` and `_` only. */
export function slug(s: string): string {
  const out = s.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
  return out === '' ? 'x' : out;
}
