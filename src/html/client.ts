/**
 * The script the report page runs: reads the chart specs from the JSON block and draws each with
 * uPlot. Kept as plain ES5-style JavaScript in a string (the TS build has no DOM types and the
 * page must not load modules); it never builds HTML from data, uPlot sets labels as text.
 * No backticks or "${" in here: this is a template literal.
 */
export const CLIENT_SCRIPT = String.raw`(function () {
  'use strict';
  var state = { rendered: 0, failed: 0, plots: [] };
  window.tripbenchCharts = state;
  var block = document.getElementById('tripbench-data');
  var data = block ? JSON.parse(block.textContent || '{}') : {};
  var HEIGHT = 260;

  function sig(v) { return String(Number(v.toPrecision(3))); }
  function fmtMs(ms) {
    if (ms == null || !isFinite(ms)) return '';
    var a = Math.abs(ms);
    if (a === 0) return '0';
    if (a >= 600000) return sig(ms / 60000) + 'min';
    if (a >= 1000) return sig(ms / 1000) + 's';
    if (a >= 1) return sig(ms) + 'ms';
    if (a >= 0.001) return sig(ms * 1000) + '\u00b5s';
    return sig(ms * 1e6) + 'ns';
  }
  function fmtPct(x) {
    if (x == null || !isFinite(x)) return '';
    var p = 100 * (1 - 1 / x);
    var d = p >= 99.99 ? 3 : p >= 99.9 ? 2 : 1;
    return 'p' + String(Number(p.toFixed(d)));
  }
  function msValue(u, v) { return fmtMs(v); }
  function alpha(hex, a) {
    var n = parseInt(hex.slice(1), 16);
    return 'rgba(' + ((n >> 16) & 255) + ',' + ((n >> 8) & 255) + ',' + (n & 255) + ',' + a + ')';
  }
  function widthOf(node) {
    var w = node.clientWidth || (node.parentNode && node.parentNode.clientWidth) || 600;
    return Math.max(300, Math.floor(w));
  }
  function zeroTo(pad) {
    return function (u, min, max) { return [0, max > 0 ? max * pad : 1]; };
  }
  // Log axes pass null for the splits they leave unlabelled.
  function mapSplits(fmt) {
    return function (u, splits) { return splits.map(function (v) { return v == null ? '' : fmt(v); }); };
  }
  // Decades only: uPlot's default log splits put a grid line at every 2..9 and crowd the chart.
  function decades(u, axisIdx, min, max) {
    var out = [];
    if (!(min > 0) || !(max > 0)) return out;
    for (var e = Math.ceil(Math.log10(min) - 1e-9); e <= Math.floor(Math.log10(max) + 1e-9); e++) out.push(Math.pow(10, e));
    return out;
  }
  function padded(log) {
    return function (u, min, max) {
      if (min == null || max == null) return [0, 1];
      if (log) return [min / 1.25, max * 1.25];
      var pad = Math.max((max - min) * 0.04, Math.abs(max) * 0.04, 1e-9);
      return [min >= 0 ? Math.max(0, min - pad) : min - pad, max + pad];
    };
  }

  function histogram(spec) {
    var series = [{ label: 'latency', value: msValue }];
    var d = [spec.x];
    spec.series.forEach(function (s) {
      series.push({
        label: s.label, stroke: s.color, fill: alpha(s.color, 0.3), width: 1,
        paths: uPlot.paths.stepped({ align: 1 }), points: { show: false },
        value: function (u, v) { return spec.unit === '%' ? sig(v) + '%' : String(v); }
      });
      d.push(s.values);
    });
    var scales = { x: { time: false, range: padded(spec.logX) }, y: { range: zeroTo(1.1) } };
    if (spec.logX) { scales.x.distr = 3; scales.x.log = 10; }
    var axes = [
      { label: 'latency', values: mapSplits(fmtMs), splits: spec.logX ? decades : undefined },
      { label: spec.unit === '%' ? '% of calls' : 'calls', size: 56 }
    ];
    if (spec.cumulative) {
      scales.pct = { auto: false, range: [0, 100] };
      series.push({
        label: 'cumulative', scale: 'pct', stroke: '#57606a', width: 1.5, dash: [5, 3], points: { show: false },
        value: function (u, v) { return v.toFixed(1) + '%'; }
      });
      d.push(spec.cumulative);
      axes.push({ scale: 'pct', side: 1, grid: { show: false }, size: 48, values: mapSplits(function (v) { return v + '%'; }) });
    }
    return { scales: scales, series: series, axes: axes, data: d };
  }

  // The x axis ends where the calls stop resolving percentiles (spec.xMax); its last tick says where.
  function percentileSplits(xMax) {
    var out = [1, 10, 100, 1000, 10000].filter(function (x) { return x <= xMax * (1 + 1e-9); });
    if (xMax / out[out.length - 1] > 1.5) out.push(xMax);
    return out;
  }

  function percentiles(spec) {
    var ratio = spec.unit === '\u00d7';
    var fmtY = ratio ? function (v) { return '\u00d7' + sig(v); } : fmtMs;
    var series = [{ label: 'percentile', value: function (u, v) { return fmtPct(v); } }];
    var d = [spec.x];
    spec.series.forEach(function (s) {
      // A curve of a few calls has a few points: draw them, a line of two points hides one.
      var n = s.values.filter(function (v) { return v != null; }).length;
      series.push({ label: s.label, stroke: s.color, width: 2, points: { show: n <= 10, size: 9, fill: s.color }, value: function (u, v) { return fmtY(v); } });
      d.push(s.values);
    });
    var splits = percentileSplits(spec.xMax);
    return {
      scales: { x: { time: false, distr: 3, log: 10, auto: false, range: [1, spec.xMax] },
        y: spec.logY ? { distr: 3, log: 10 } : { range: zeroTo(1.05) } },
      axes: [
        { label: 'percentile (log scale)', splits: function () { return splits; },
          filter: function (u, s) { return s; }, values: mapSplits(fmtPct) },
        { label: ratio ? 'latency ratio' : spec.logY ? 'latency (log scale)' : 'latency', size: 64, values: mapSplits(fmtY),
          splits: spec.logY ? decades : undefined }
      ],
      series: series, data: d
    };
  }

  function codes(spec) {
    var x = spec.codes.map(function (c, i) { return i; });
    var series = [{ label: 'code', value: function (u, v) { return spec.codes[v]; } }];
    var d = [x];
    var max = Math.max.apply(null, spec.counts);
    spec.codes.forEach(function (c, i) {
      series.push({
        label: c, stroke: spec.colors[i], fill: alpha(spec.colors[i], 0.8), width: 1, points: { show: false },
        paths: uPlot.paths.bars({ size: [0.6, 90] }),
        value: function (u, v) { return v + ' (' + (100 * v / spec.total).toFixed(1) + '%)'; }
      });
      d.push(x.map(function (j) { return j === i ? spec.counts[i] : null; }));
    });
    return {
      scales: { x: { time: false, auto: false, range: [-0.5, x.length - 0.5] }, y: { auto: false, range: [0, max > 0 ? max * 1.2 : 1] } },
      axes: [
        { label: 'status code', splits: function () { return x; }, values: mapSplits(function (v) { return spec.codes[v] == null ? '' : spec.codes[v]; }) },
        { label: 'calls', size: 56 }
      ],
      series: series, data: d,
      hooks: { draw: [function (u) {
        var ctx = u.ctx;
        ctx.save();
        ctx.fillStyle = '#1f2328';
        ctx.textAlign = 'center';
        ctx.font = (12 * devicePixelRatio) + 'px system-ui, sans-serif';
        spec.counts.forEach(function (n, i) {
          var px = u.valToPos(i, 'x', true);
          var py = u.valToPos(n, 'y', true) - 4 * devicePixelRatio;
          ctx.fillText(n + ' (' + (100 * n / spec.total).toFixed(1) + '%)', px, py);
        });
        ctx.restore();
      }] }
    };
  }

  function qps(spec) {
    return {
      scales: { x: { time: false }, y: { range: zeroTo(1.1) } },
      axes: [{ label: 'seconds since start' }, { label: 'qps', size: 56 }],
      series: [{ label: 't', value: function (u, v) { return sig(v) + 's'; } },
        { label: 'qps', stroke: '#0072b2', width: 2, points: { show: spec.t.length < 60, size: spec.t.length <= 10 ? 9 : 5, fill: '#0072b2' } }],
      data: [spec.t, spec.qps]
    };
  }

  function sweep(spec) {
    var lo = Math.min.apply(null, spec.c), hi = Math.max.apply(null, spec.c);
    var red = '#d62728';
    return {
      scales: { x: { time: false, auto: false, range: [lo - 0.5, hi + 0.5] }, y: { auto: false, range: [0, 1] } },
      axes: [
        { label: 'concurrency (c)', splits: function () { return spec.c; }, values: mapSplits(String) },
        { label: spec.code + ' ratio', size: 52 }
      ],
      series: [
        { label: 'c' },
        { label: spec.code + ' ratio', stroke: red, width: 2, points: { show: true, size: 8, fill: red } },
        { label: '95% low', stroke: alpha(red, 0.5), width: 1, dash: [4, 4], points: { show: false } },
        { label: '95% high', stroke: alpha(red, 0.5), width: 1, dash: [4, 4], points: { show: false } }
      ],
      bands: [{ series: [3, 2], fill: alpha(red, 0.15) }],
      data: [spec.c, spec.ratio, spec.lo, spec.hi],
      hooks: { drawSeries: [function (u, si) {
        if (si !== 1) return;
        var ctx = u.ctx, w = 26 * devicePixelRatio;
        ctx.save();
        ctx.fillStyle = 'rgba(45,164,78,0.22)';
        ctx.strokeStyle = 'rgba(45,164,78,0.8)';
        spec.expected.forEach(function (e, i) {
          if (!e) return;
          var px = u.valToPos(spec.c[i], 'x', true);
          var top = u.valToPos(e[1], 'y', true), bottom = u.valToPos(e[0], 'y', true);
          var h = Math.max(bottom - top, 2 * devicePixelRatio);
          ctx.fillRect(px - w / 2, top, w, h);
          ctx.strokeRect(px - w / 2, top, w, h);
        });
        ctx.restore();
      }] }
    };
  }

  // Legends carry a value or nothing: no '--' or dash when the cursor is off the chart or a series
  // has no point there (a curve that ended, a code absent at that x).
  function legendValue(s) {
    var fmt = s.value;
    s.value = function (u, v, si, idx) {
      if (idx == null || v == null || (typeof v === 'number' && !isFinite(v))) return '';
      return fmt ? fmt(u, v, si, idx) : sig(v);
    };
  }

  var BUILDERS = { histogram: histogram, percentiles: percentiles, codes: codes, qps: qps, sweep: sweep };

  (data.charts || []).forEach(function (spec) {
    var node = document.getElementById(spec.id);
    if (!node) return;
    try {
      var build = BUILDERS[spec.kind];
      if (!build) throw new Error('unknown chart kind ' + spec.kind);
      var o = build(spec);
      o.series.forEach(legendValue);
      var opts = { width: widthOf(node), height: HEIGHT, scales: o.scales, axes: o.axes, series: o.series, legend: { live: true } };
      if (o.bands) opts.bands = o.bands;
      if (o.hooks) opts.hooks = o.hooks;
      var plot = new uPlot(opts, o.data, node);
      // Until the cursor is on the chart there is no value: empty cells, not uPlot's '--'.
      plot.setLegend({ idx: null });
      // A short legend label keeps the full name (a file path) one hover away.
      var rows = node.querySelectorAll('.u-legend .u-series');
      (spec.series || []).forEach(function (s, i) {
        if (s.title && rows[i + 1]) rows[i + 1].setAttribute('title', s.title);
      });
      state.plots.push({ node: node, plot: plot });
      node.setAttribute('data-rendered', 'true');
      state.rendered++;
    } catch (e) {
      state.failed++;
      node.setAttribute('data-rendered', 'failed');
      node.textContent = 'This chart could not be drawn: ' + (e && e.message ? e.message : String(e));
      console.error('tripbench chart ' + spec.id + ':', e);
    }
  });

  var pending = 0;
  window.addEventListener('resize', function () {
    clearTimeout(pending);
    pending = setTimeout(function () {
      state.plots.forEach(function (p) { p.plot.setSize({ width: widthOf(p.node), height: HEIGHT }); });
    }, 100);
  });
})();
`;
