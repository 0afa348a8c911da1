/**
 * An Envoy-shaped stat store (counters and gauges under dotted names) and the admin renderers:
 * `/stats` text (`name: value`, sorted), `?format=json`, and Prometheus text with Istio's tag
 * extraction (cluster name → `cluster_name` label, response codes → labels). Istio trims stats
 * with an inclusion list (§3.3); the store mirrors that so a scenario sees what a sidecar shows.
 */

export type StatKind = 'counter' | 'gauge';

export interface StatEntry {
  name: string;
  kind: StatKind;
  value: number;
}

export class Counter {
  value = 0;
  used = false;
  inc(n = 1): void {
    this.value += n;
    this.used = true;
  }
}

export class Gauge {
  private v = 0;
  private touched = false;
  /**
   * `read`: the gauge mirrors live state. Envoy sets most such gauges when it creates them
   * (remaining_*, membership_*), so they count as used for ?usedonly; the ones it only moves
   * on activity (upstream_cx_active, *_open, …) pass `usedWhen`.
   */
  constructor(
    private readonly read?: () => number,
    private readonly usedWhen?: () => boolean,
  ) {}
  get value(): number {
    return this.read ? this.read() : this.v;
  }
  get used(): boolean {
    if (this.touched) return true;
    if (this.usedWhen) return this.usedWhen();
    return this.read !== undefined;
  }
  set(v: number): void {
    this.v = v;
    this.touched = true;
  }
  inc(n = 1): void {
    this.set(this.v + n);
  }
  dec(n = 1): void {
    this.set(this.v - n);
  }
  markUsed(): void {
    this.touched = true;
  }
}

export interface SnapshotOptions {
  /** partial-match regex on the full name, like Envoy's ?filter= */
  filter?: RegExp | undefined;
  /** only stats touched at least once (?usedonly) */
  usedOnly?: boolean;
  /** ignore the Istio inclusion list (library callers and tests) */
  all?: boolean;
}

/**
 * What Istio's bootstrap keeps when nothing is requested (envoy-circuit-breaking.md §3.3,
 * current release): server and manager stats stay, per-cluster `cluster.outbound|…` stats go.
 */
export const ISTIO_DEFAULT_INCLUSION_PREFIXES = ['reporter=', 'cluster_manager', 'listener_manager', 'server', 'cluster.xds-grpc', 'wasm', 'component', 'istio'];

/**
 * Istio's bootstrap inclusion list as the fortio sample of the circuit-breaking task sets it
 * (annotation sidecar.istio.io/statsInclusionPrefixes), so the task's commands find the stats.
 */
export const FORTIO_SAMPLE_INCLUSION_PREFIXES = ['cluster.outbound', 'cluster_manager', 'listener_manager', 'http_mixer_filter', 'tcp_mixer_filter', 'server', 'cluster.xds-grpc'];

/** The fortio sample's prefixes and the egress clusters' and TCP proxies' stats (Istio's egress checks grep them). */
export const EGRESS_INCLUSION_PREFIXES = [...FORTIO_SAMPLE_INCLUSION_PREFIXES, 'cluster.BlackHoleCluster', 'cluster.PassthroughCluster', 'tcp.'];

export class StatStore {
  private readonly stats = new Map<string, Counter | Gauge>();
  /** undefined = everything is shown */
  inclusionPrefixes: string[] | undefined;

  constructor(inclusionPrefixes?: string[]) {
    this.inclusionPrefixes = inclusionPrefixes;
  }

  counter(name: string): Counter {
    const s = this.stats.get(name);
    if (s instanceof Counter) return s;
    const c = new Counter();
    this.stats.set(name, c);
    return c;
  }

  gauge(name: string, read?: () => number, usedWhen?: () => boolean): Gauge {
    const s = this.stats.get(name);
    if (s instanceof Gauge) return s;
    const g = new Gauge(read, usedWhen);
    this.stats.set(name, g);
    return g;
  }

  /** current value of a stat, or undefined if it does not exist */
  get(name: string): number | undefined {
    return this.stats.get(name)?.value;
  }

  included(name: string): boolean {
    const p = this.inclusionPrefixes;
    return p === undefined || p.some((x) => name.startsWith(x));
  }

  snapshot(opts: SnapshotOptions = {}): StatEntry[] {
    const out: StatEntry[] = [];
    for (const [name, s] of this.stats) {
      if (!opts.all && !this.included(name)) continue;
      if (opts.usedOnly && !s.used) continue;
      if (opts.filter && !opts.filter.test(name)) continue;
      out.push({ name, kind: s instanceof Counter ? 'counter' : 'gauge', value: s.value });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** name → value of every stat (ignores the inclusion list) */
  toRecord(): Record<string, number> {
    const r: Record<string, number> = {};
    for (const e of this.snapshot({ all: true })) r[e.name] = e.value;
    return r;
  }

  /** admin POST /reset_counters: counters to zero, gauges untouched (as Envoy) */
  resetCounters(): void {
    for (const s of this.stats.values()) if (s instanceof Counter) s.value = 0;
  }
}

export function renderText(entries: readonly StatEntry[]): string {
  return entries.map((e) => `${e.name}: ${e.value}\n`).join('');
}

export function renderJson(entries: readonly StatEntry[]): string {
  return JSON.stringify({ stats: entries.map((e) => ({ name: e.name, value: e.value })) }, null, 1) + '\n';
}

interface PromName {
  name: string;
  labels: Array<[string, string]>;
}

/**
 * Tag extraction as Istio's bootstrap does it: the cluster name between `cluster.` and the
 * stat becomes `cluster_name`; `_rq_503` and `_rq_5xx` suffixes become `response_code` and
 * `response_code_class` labels (istio/istio tools/packaging/common/envoy_bootstrap.json).
 */
export function prometheusName(statName: string, clusterNames: readonly string[]): PromName {
  let rest = statName;
  const labels: Array<[string, string]> = [];
  let prefix = '';
  for (const c of clusterNames) {
    if (statName.startsWith(`cluster.${c}.`)) {
      prefix = 'cluster.';
      rest = statName.slice(`cluster.${c}.`.length);
      // Istio >= 1.23's alt_stat_name ends in ";" so its extractor stops there; the label is the name.
      labels.push(['cluster_name', c.endsWith(';') ? c.slice(0, -1) : c]);
      break;
    }
  }
  const code = /_rq_(\d{3})$/.exec(rest);
  if (code) {
    rest = rest.slice(0, -4);
    labels.unshift(['response_code', code[1] as string]);
  } else {
    // Istio's regex is `_rq(_(\dxx))$`: the whole `_5xx` goes, so classes share the
    // `…_upstream_rq` name with the codes (Envoy's own extractor would leave `_rq_xx`).
    const cls = /_rq_(\dxx)$/.exec(rest);
    if (cls) {
      rest = rest.slice(0, -4);
      labels.unshift(['response_code_class', cls[1] as string]);
    }
  }
  const name = `envoy_${(prefix + rest).replace(/[^a-zA-Z0-9_]/g, '_')}`;
  return { name, labels };
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function renderPrometheus(entries: readonly StatEntry[], clusterNames: readonly string[]): string {
  const groups = new Map<string, { kind: StatKind; lines: string[] }>();
  for (const e of entries) {
    const p = prometheusName(e.name, clusterNames);
    let g = groups.get(p.name);
    if (!g) {
      g = { kind: e.kind, lines: [] };
      groups.set(p.name, g);
    }
    const labels = p.labels.length > 0 ? `{${p.labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
    g.lines.push(`${p.name}${labels} ${e.value}`);
  }
  const names = [...groups.keys()].sort();
  let out = '';
  for (const n of names) {
    const g = groups.get(n) as { kind: StatKind; lines: string[] };
    out += `# TYPE ${n} ${g.kind}\n${g.lines.join('\n')}\n`;
  }
  return out;
}
