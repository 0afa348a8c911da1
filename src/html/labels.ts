/**
 * Names of results and runs on comparison pages and in the comparison table: the file (or run
 * folder) name, with only as many parent folders as it takes to tell two apart
 * (`before/run` and `after/run`), so a label fits a legend or a column head. The full path stays
 * one hover away (a title attribute).
 */
export function shortLabels(paths: readonly string[], strip: (name: string) => string = (n) => n): string[] {
  const parts = paths.map((p) => p.split(/[\\/]+/).filter((x) => x !== ''));
  const longest = Math.max(1, ...parts.map((ps) => ps.length));
  let names: string[] = [];
  for (let k = 1; k <= longest; k++) {
    names = parts.map((ps, i) => {
      const tail = ps.slice(-k);
      if (tail.length === 0) return paths[i] as string;
      tail[tail.length - 1] = strip(tail[tail.length - 1] as string);
      return tail.join('/');
    });
    if (new Set(names).size === names.length) return names;
  }
  // The same path twice: nothing tells them apart but their place.
  return names.map((n, i) => `${n} (${i + 1})`);
}

/** ` title="…"` when the full name says more than the short one, else nothing. */
export function titleAttr(short: string, full: string | undefined, escape: (s: string) => string): string {
  return full !== undefined && full !== short ? ` title="${escape(full)}"` : '';
}
