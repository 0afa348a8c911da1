/**
 * Route regexes (VirtualService `regex:` matches) as Envoy runs them: RE2, here re2js, a pure-JS
 * port with linear-time matching, so a pasted `(a+)+$` cannot make one request take minutes on
 * the event loop every request shares.
 */
import { RE2JS } from 're2js';

export interface Re2Matcher {
  /** full match, as Envoy's safe_regex route matches are */
  test(s: string): boolean;
}

export function compileRe2(pattern: string, ignoreCase = false): Re2Matcher {
  const re = RE2JS.compile(`^(?:${pattern})$`, ignoreCase ? RE2JS.CASE_INSENSITIVE : 0);
  return { test: (s) => re.test(s) };
}

/** Why RE2 refuses the pattern (one line), or undefined when it compiles. */
export function re2Problem(pattern: string): string | undefined {
  try {
    RE2JS.compile(pattern);
    return undefined;
  } catch (e) {
    const m = e instanceof Error ? e.message : String(e);
    return (m.split('\n')[0] ?? m).replace(/^error parsing regexp: /, '');
  }
}
