// Renders a loadlab report.html in Debian's headless chromium (playwright-core) and checks that it
// loads without console errors or network requests and that every chart is drawn with data.
// Usage: node render_report.mjs REPORT.html EXPECTED_CHART_COUNT [SCREENSHOT.png]
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [reportPath, expectedText, screenshot] = process.argv.slice(2);
if (!reportPath || expectedText === undefined) {
  console.error('usage: node render_report.mjs REPORT.html EXPECTED_CHART_COUNT [SCREENSHOT.png]');
  process.exit(2);
}
const expected = Number(expectedText);
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'loadlab-chromium-'));
const failures = [];
// A fresh profile each run (playwright passes it as --user-data-dir).
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.LOADLAB_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--no-first-run'],
  viewport: { width: 1400, height: 900 },
  timeout: 60000,
});
try {
  const page = await browser.newPage();
  page.on('console', (message) => { if (message.type() === 'error') failures.push(`console error: ${message.text()}`); });
  page.on('pageerror', (error) => failures.push(`page error: ${error.message}`));
  page.on('request', (request) => {
    if (!request.url().startsWith('file:') && !request.url().startsWith('data:')) failures.push(`network request: ${request.url()}`);
  });
  await page.goto(pathToFileURL(path.resolve(reportPath)).href, { waitUntil: 'load', timeout: 60000 });
  await page.waitForFunction(() => window.__loadlab && (window.__loadlab.done || window.__loadlab.errors.length), null, { timeout: 60000 });
  const state = await page.evaluate(() => {
    const charts = window.__loadlab.charts.map((c) => ({ title: c.title, points: c.points, values: c.values }));
    // A drawn chart has many non-transparent pixels inside its plotting area.
    const canvases = [...document.querySelectorAll('.chart canvas')].map((canvas) => {
      const ctx = canvas.getContext('2d');
      const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      let inked = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) inked++;
      return { title: canvas.closest('.chart').getAttribute('data-chart'), inked, width: canvas.width, height: canvas.height };
    });
    return { charts, canvases, errors: window.__loadlab.errors, done: !!window.__loadlab.done };
  });
  if (!state.done) failures.push(`report script did not finish: ${state.errors.join('; ')}`);
  if (state.charts.length !== expected) failures.push(`expected ${expected} charts, the page drew ${state.charts.length}`);
  if (state.canvases.length !== expected) failures.push(`expected ${expected} canvases, found ${state.canvases.length}`);
  for (const chart of state.charts) {
    if (chart.points < 2 || chart.values < 2) failures.push(`chart "${chart.title}" has no data (${chart.points} points, ${chart.values} values)`);
  }
  for (const canvas of state.canvases) {
    if (canvas.inked < 500) failures.push(`chart "${canvas.title}" looks blank (${canvas.inked} inked pixels of ${canvas.width}x${canvas.height})`);
  }
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: false });
  console.log(`rendered ${state.charts.length} charts, ${state.canvases.length} canvases; ` +
              `fewest inked pixels: ${Math.min(...state.canvases.map((c) => c.inked))}`);
} finally {
  await browser.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
if (failures.length) {
  for (const failure of failures) console.error(failure);
  process.exit(1);
}
