// Lighthouse (mobile preset: a mid-range phone on a slow 4G, simulated) on the portal's
// first pages, in Debian's Chromium. Used by scripts/lighthouse (prints the figures) and
// lighthouse.test.mjs (keeps them from regressing).

import lighthouse from 'lighthouse';
import * as chromeLauncher from 'chrome-launcher';

import { CHROMIUM, CHROMIUM_FLAGS } from './browser.mjs';

/** What issue 19 asks of every page, and of the home page's first visit. */
export const BUDGET = {
  performance: 95,
  accessibility: 100,
  bestPractices: 95,
  lcpMs: 2500,
  homeKb: 250,
};

/** The pages measured: home, search, a service and the observatory, in Italian and Arabic. */
export async function portalPages(serverUrl) {
  const response = await fetch(`${serverUrl}/api/hsds/services?per_page=1`);
  const service = (await response.json()).contents[0].id;
  const pages = [];
  for (const lang of ['it', 'ar']) {
    const doctor = lang === 'it' ? 'medico' : 'طبيب';
    pages.push(
      { name: `home ${lang}`, url: `${serverUrl}/${lang}/` },
      { name: `search ${lang}`, url: `${serverUrl}/${lang}/search?q=${encodeURIComponent(doctor)}` },
      { name: `service ${lang}`, url: `${serverUrl}/${lang}/services/${service}` },
      { name: `observatory ${lang}`, url: `${serverUrl}/${lang}/observatory` },
    );
  }
  return pages;
}

/**
 * Audits each page with a fresh profile (a first visit: nothing cached) and returns its
 * scores (0–100), its Largest Contentful Paint (ms) and what it transferred (KB).
 */
export async function audit(pages) {
  const chrome = await chromeLauncher.launch({
    chromePath: CHROMIUM,
    chromeFlags: CHROMIUM_FLAGS,
  });
  try {
    const results = [];
    for (const page of pages) {
      const { lhr } = await lighthouse(page.url, {
        port: chrome.port,
        output: 'json',
        logLevel: 'error',
        onlyCategories: ['performance', 'accessibility', 'best-practices'],
      });
      const score = (id) => Math.round((lhr.categories[id].score ?? 0) * 100);
      const failing = (id) =>
        lhr.categories[id].auditRefs
          .map((ref) => lhr.audits[ref.id])
          .filter((a) => a.score !== null && a.score < 1 && a.scoreDisplayMode === 'binary')
          .map((a) => a.id);
      results.push({
        name: page.name,
        url: page.url,
        performance: score('performance'),
        accessibility: score('accessibility'),
        bestPractices: score('best-practices'),
        lcpMs: Math.round(lhr.audits['largest-contentful-paint'].numericValue),
        transferKb: Math.round(lhr.audits['total-byte-weight'].numericValue / 1024),
        failing: [...failing('accessibility'), ...failing('best-practices')],
        runtimeError: lhr.runtimeError?.message,
      });
    }
    return results;
  } finally {
    await chrome.kill();
  }
}

/** The results as a table for the terminal. */
export function table(results) {
  const rows = [['page', 'perf', 'a11y', 'best', 'LCP ms', 'KB', 'failing audits']];
  for (const r of results) {
    rows.push([r.name, r.performance, r.accessibility, r.bestPractices, r.lcpMs, r.transferKb, r.failing.join(' ')]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => String(row[i]).length)));
  return rows.map((row) => row.map((c, i) => String(c).padEnd(widths[i])).join('  ')).join('\n');
}

/** What misses the budget, one line each. */
export function missed(results) {
  const out = [];
  for (const r of results) {
    if (r.runtimeError) out.push(`${r.name}: ${r.runtimeError}`);
    if (r.performance < BUDGET.performance) out.push(`${r.name}: performance ${r.performance} < ${BUDGET.performance}`);
    if (r.accessibility < BUDGET.accessibility) out.push(`${r.name}: accessibility ${r.accessibility} < ${BUDGET.accessibility}`);
    if (r.bestPractices < BUDGET.bestPractices) out.push(`${r.name}: best practices ${r.bestPractices} < ${BUDGET.bestPractices}`);
    if (r.lcpMs > BUDGET.lcpMs) out.push(`${r.name}: LCP ${r.lcpMs} ms > ${BUDGET.lcpMs}`);
    if (r.name.startsWith('home') && r.transferKb > BUDGET.homeKb) out.push(`${r.name}: ${r.transferKb} KB > ${BUDGET.homeKb}`);
  }
  return out;
}
