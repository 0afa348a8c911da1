/**
 * Opens a report in Debian's headless Chromium (driven by playwright-core, no downloaded
 * browser) and reports what a person would see: console errors, every request the page made,
 * each chart's state and whether it drew data, and a full-page screenshot.
 */
import { pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';

import { needTool } from '../helpers/tools.js';

/** Debian's Chromium, or the browser TRIPBENCH_CHROMIUM names. */
export const CHROMIUM = needTool(process.env['TRIPBENCH_CHROMIUM'] ?? 'chromium', 'chromium');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM.path,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      '--disable-default-apps',
      '--disable-extensions',
    ],
  });
}

export interface ChartState {
  id: string;
  kind: string;
  rendered: string | null;
  canvases: number;
  /** pixels whose colour is not a grey (axes, grid and text are grey or black; data is coloured) */
  colouredPixels: number;
  /** the legend as shown: each series' label, value cell and title attribute */
  legend: { label: string; value: string; title: string | null }[];
  /** where uPlot's x scale ends, and each data series' last x with a value */
  xMax: number | null;
  lastX: (number | null)[];
}

export interface PageVisit {
  consoleErrors: string[];
  /** every request URL the page made, the file itself included */
  requests: string[];
  charts: ChartState[];
  /** the page script's own tally */
  tally: { rendered: number; failed: number };
  /** each ratio gauge of the verdict table, with its row's step, expectation id and Expected cell */
  gauges: { step: string | null; expectation: string | null; expectedText: string | null; verdict: string | null; expected: number; observed: number; interval: number }[];
  title: string;
  text: string;
}

// Runs in the page; a string because the test build has no DOM types.
const INSPECT = `(() => {
  const charts = [...document.querySelectorAll('.chart')].map((el) => {
    let coloured = 0;
    const canvases = [...el.querySelectorAll('canvas')];
    for (const c of canvases) {
      const ctx = c.getContext('2d');
      if (!ctx || c.width === 0 || c.height === 0) continue;
      const px = ctx.getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < px.length; i += 4) {
        const r = px[i], g = px[i + 1], b = px[i + 2], a = px[i + 3];
        if (a > 40 && Math.max(r, g, b) - Math.min(r, g, b) > 40) coloured++;
      }
    }
    const legend = [...el.querySelectorAll('.u-legend .u-series')].map((row) => ({
      label: row.querySelector('.u-label')?.textContent ?? '',
      value: row.querySelector('.u-value')?.textContent ?? '',
      title: row.getAttribute('title'),
    }));
    const placed = (window.tripbenchCharts?.plots ?? []).find((p) => p.node === el);
    const xMax = placed ? placed.plot.scales.x.max : null;
    const lastX = placed ? placed.plot.data.slice(1).map((ys) => {
      let last = null;
      ys.forEach((y, i) => { if (y != null) last = placed.plot.data[0][i]; });
      return last;
    }) : [];
    return { id: el.id, kind: el.dataset.kind || '', rendered: el.getAttribute('data-rendered'), canvases: canvases.length, colouredPixels: coloured, legend, xMax, lastX };
  });
  const gauges = [...document.querySelectorAll('svg.gauge')].map((g) => ({
    step: g.closest('tr')?.getAttribute('data-step') ?? null,
    expectation: g.closest('tr')?.getAttribute('data-expectation') ?? null,
    expectedText: g.closest('tr')?.children[2]?.textContent ?? null,
    verdict: g.getAttribute('data-verdict'),
    expected: g.querySelectorAll('rect.expected').length,
    observed: g.querySelectorAll('circle.observed').length,
    interval: g.querySelectorAll('line.interval').length,
  }));
  const t = window.tripbenchCharts;
  return { charts, gauges, tally: { rendered: t.rendered, failed: t.failed }, title: document.title, text: document.body.innerText };
})()`;

/** The legend of each chart while the mouse rests at `at` (0..1 of the plot's width) over it. */
export type Hovered = Record<string, { label: string; value: string }[]>;

export async function visit(browser: Browser, file: string, screenshot: string, hover: { ids: readonly string[]; at: number } = { ids: [], at: 0.5 }): Promise<PageVisit & { hovered: Hovered }> {
  const context = await browser.newContext({ viewport: { width: 1300, height: 900 }, offline: true });
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  try {
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    await page.waitForFunction('window.tripbenchCharts !== undefined');
    const result = (await page.evaluate(INSPECT)) as Omit<PageVisit, 'consoleErrors' | 'requests'>;
    await page.screenshot({ path: screenshot, fullPage: true });
    const hovered: Hovered = {};
    for (const id of hover.ids) {
      const over = page.locator(`#${id} .u-over`);
      await over.scrollIntoViewIfNeeded();
      const box = await over.boundingBox();
      if (!box) continue;
      await page.mouse.move(box.x + box.width * hover.at, box.y + box.height / 2);
      await page.waitForFunction(`[...document.querySelectorAll('#${id} .u-legend .u-value')].some((v) => v.textContent !== '')`);
      hovered[id] = (await page.evaluate(
        `[...document.querySelectorAll('#${id} .u-legend .u-series')].map((r) => ({ label: r.querySelector('.u-label')?.textContent ?? '', value: r.querySelector('.u-value')?.textContent ?? '' }))`,
      )) as { label: string; value: string }[];
    }
    return { consoleErrors, requests, ...result, hovered };
  } finally {
    await context.close();
  }
}

/** Requests other than the page itself and inline data. */
export function foreignRequests(v: PageVisit, file: string): string[] {
  const self = pathToFileURL(file).href;
  return v.requests.filter((u) => u !== self && !u.startsWith('data:') && !u.startsWith('blob:'));
}
