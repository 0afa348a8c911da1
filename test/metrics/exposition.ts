/**
 * Reads a Prometheus text exposition the way a scraper would: parse-prometheus-text-format (a
 * port of the Prometheus Python client's parser, prom2json-shaped output) does the parsing and
 * the label unescaping; the checks it leaves out – which Prometheus' own Go parser makes – are
 * added here: metric and label names, numeric values, HELP/TYPE once and before the samples,
 * families contiguous, no duplicate series, no timestamps (the textfile collector refuses them).
 */
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

export interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  families: Map<string, { help: string; type: string }>;
  series: Series[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const VALUE = /^(NaN|[+-]Inf|[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)$/;

function num(s: string): number {
  if (!VALUE.test(s)) throw new Error(`not a sample value: ${JSON.stringify(s)}`);
  return s === '+Inf' ? Infinity : s === '-Inf' ? -Infinity : Number(s);
}

/** `{a="x",b="y\\"z"}` → labels, unescaped as the exposition format says (\\, \", \n). */
function labelsOf(block: string): Record<string, string> {
  const out: Record<string, string> = {};
  const inner = block.replace(/^\{|,?\}$/g, '');
  const re = /\s*([^=\s]+)="((?:[^"\\]|\\.)*)"\s*(?:,|$)/y;
  let m: RegExpExecArray | null;
  while (re.lastIndex < inner.length && (m = re.exec(inner)) !== null) {
    out[m[1] as string] = (m[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  if (re.lastIndex !== inner.length && inner !== '') throw new Error(`bad label set ${block}`);
  return out;
}

export function readExposition(text: string): Exposition {
  if (text !== '' && !text.endsWith('\n')) throw new Error('exposition must end with a line feed');
  const families = new Map<string, { help: string; type: string }>();
  const seenComment = new Map<string, Set<string>>();
  let current = '';
  const closed = new Set<string>();
  const rawSeries = new Set<string>();
  const typed = new Map<string, string>();
  // The parser drops a summary's labels and folds its label sets into one: summaries are read here.
  const summaryLines: { name: string; labels: Record<string, string>; value: string }[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    const lineName = m ? (m[2] as string) : (/^([^{ ]+)/.exec(line)?.[1] ?? '');
    if (!NAME.test(lineName)) throw new Error(`invalid metric name in line: ${line}`);
    // A summary's (histogram's) _sum, _count (_bucket) lines belong to its family.
    const base = lineName.replace(/_(sum|count|bucket)$/, '');
    const name = !m && base !== lineName && ['summary', 'histogram'].includes(typed.get(base) ?? '') ? base : lineName;
    if (name !== current) {
      if (closed.has(name)) throw new Error(`family ${name} is not contiguous`);
      if (current !== '') closed.add(current);
      current = name;
    }
    if (m) {
      const kinds = seenComment.get(name) ?? new Set<string>();
      if (kinds.has(m[1] as string)) throw new Error(`second # ${m[1]} for ${name}`);
      kinds.add(m[1] as string);
      seenComment.set(name, kinds);
      if (m[1] === 'TYPE' && !['counter', 'gauge', 'summary', 'histogram', 'untyped'].includes(m[3] as string)) throw new Error(`bad TYPE: ${line}`);
      if (m[1] === 'TYPE') typed.set(name, m[3] as string);
    } else if (line.startsWith('#')) {
      continue;
    } else {
      const v = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? (\S+)$/.exec(line);
      if (!v || !VALUE.test(v[2] as string)) throw new Error(`sample must be "name{labels} value" without a timestamp: ${line}`);
      // The parser folds repeated series into one, so repeats are caught on the raw lines.
      const raw = line.slice(0, line.length - (v[2] as string).length - 1);
      if (rawSeries.has(raw)) throw new Error(`duplicate series ${raw}`);
      rawSeries.add(raw);
      if (typed.get(name) === 'summary') summaryLines.push({ name: lineName, labels: labelsOf(v[1] ?? ''), value: v[2] as string });
    }
  }
  const series: Series[] = [];
  const keys = new Set<string>();
  for (const f of parsePrometheusTextFormat(text)) {
    families.set(f.name, { help: f.help, type: f.type.toLowerCase() });
    const kinds = seenComment.get(f.name);
    if (!kinds?.has('HELP') || !kinds.has('TYPE')) throw new Error(`family ${f.name} lacks # HELP or # TYPE`);
    const add = (name: string, labels: Record<string, string>, value: string): void => {
      for (const l of Object.keys(labels)) if (!LABEL.test(l) || l.startsWith('__')) throw new Error(`invalid label name ${l}`);
      const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
      if (keys.has(key)) throw new Error(`duplicate series ${key}`);
      keys.add(key);
      series.push({ name, labels, value: num(value) });
    };
    if (f.type.toLowerCase() === 'summary') {
      // Unfolded into the series a scraper stores: one per quantile, plus _sum and _count.
      for (const l of summaryLines) if (l.name.replace(/_(sum|count)$/, '') === f.name) add(l.name, l.labels, l.value);
      continue;
    }
    for (const m of f.metrics) {
      if (m.timestamp_ms !== undefined) throw new Error(`${f.name} has a timestamp`);
      // Histograms (a Pushgateway's own go_* metrics) come back folded and are not ours to check.
      if (m.value === undefined && m.buckets) continue;
      add(f.name, m.labels ?? {}, m.value ?? '');
    }
  }
  return { families, series };
}

/** The one series with exactly these labels (throws when there is none). */
export function sample(e: Exposition, name: string, labels: Record<string, string>): number {
  const want = JSON.stringify(Object.entries(labels).sort());
  const s = e.series.find((x) => x.name === name && JSON.stringify(Object.entries(x.labels).sort()) === want);
  if (!s) throw new Error(`no series ${name}${want}`);
  return s.value;
}
