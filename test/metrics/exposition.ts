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

export function readExposition(text: string): Exposition {
  if (text !== '' && !text.endsWith('\n')) throw new Error('exposition must end with a line feed');
  const families = new Map<string, { help: string; type: string }>();
  const seenComment = new Map<string, Set<string>>();
  let current = '';
  const closed = new Set<string>();
  const rawSeries = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    const name = m ? (m[2] as string) : (/^([^{ ]+)/.exec(line)?.[1] ?? '');
    if (!NAME.test(name)) throw new Error(`invalid metric name in line: ${line}`);
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
    } else if (line.startsWith('#')) {
      continue;
    } else {
      const v = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? (\S+)$/.exec(line);
      if (!v || !VALUE.test(v[2] as string)) throw new Error(`sample must be "name{labels} value" without a timestamp: ${line}`);
      // The parser folds repeated series into one, so repeats are caught on the raw lines.
      const raw = line.slice(0, line.length - (v[2] as string).length - 1);
      if (rawSeries.has(raw)) throw new Error(`duplicate series ${raw}`);
      rawSeries.add(raw);
    }
  }
  const series: Series[] = [];
  const keys = new Set<string>();
  for (const f of parsePrometheusTextFormat(text)) {
    families.set(f.name, { help: f.help, type: f.type.toLowerCase() });
    const kinds = seenComment.get(f.name);
    if (!kinds?.has('HELP') || !kinds.has('TYPE')) throw new Error(`family ${f.name} lacks # HELP or # TYPE`);
    for (const m of f.metrics) {
      // Summaries and histograms (a Pushgateway's own go_* metrics) come back folded; ours are plain.
      if (m.value === undefined && (m.quantiles || m.buckets)) continue;
      const labels = m.labels ?? {};
      for (const l of Object.keys(labels)) if (!LABEL.test(l) || l.startsWith('__')) throw new Error(`invalid label name ${l}`);
      if (m.timestamp_ms !== undefined) throw new Error(`${f.name} has a timestamp`);
      const key = `${f.name}${JSON.stringify(Object.entries(labels).sort())}`;
      if (keys.has(key)) throw new Error(`duplicate series ${key}`);
      keys.add(key);
      series.push({ name: f.name, labels, value: num(m.value ?? '') });
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
