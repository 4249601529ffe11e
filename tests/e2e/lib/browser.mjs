// Debian's Chromium driven by playwright-core (which never downloads a browser), plus the
// helpers the tests share: accessibility checks with axe-core, screenshots at phone and
// desktop widths, and a record of console errors.
//
//   const browser = await launchBrowser();
//   const page = await browser.newPage();            // desktop viewport
//   const errors = recordConsoleErrors(page);
//   await page.goto(server.url + '/it/');
//   await axeCheck(page);                            // throws on serious/critical violations
//   await screenshot(page, 'home-it');               // artifacts/home-it-{phone,desktop}.png
//   await browser.close();

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { AxeBuilder } from '@axe-core/playwright';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CROCEVIA_CHROMIUM ?? '/usr/bin/chromium';

// DESIGN §5: without the background-networking flags Chromium tries to reach the internet.
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1366, height: 900 };

export const artifactsDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');

/**
 * Launches Chromium with a fresh profile.
 * @param {{ locale?: string }} [options] locale: the browser's language (Accept-Language).
 */
export async function launchBrowser(options = {}) {
  const userDataDir = mkdtempSync(join(tmpdir(), 'crocevia-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    args: CHROMIUM_FLAGS,
    viewport: DESKTOP,
    locale: options.locale ?? 'it-IT',
    timezoneId: 'Europe/Rome',
    timeout: 60_000,
  });
  context.setDefaultTimeout(15_000);
  // A persistent context opens with one blank page: use it first.
  let blank = context.pages()[0] ?? null;
  return {
    context,
    async newPage() {
      if (blank) {
        const page = blank;
        blank = null;
        return page;
      }
      return context.newPage();
    },
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Collects what the page reports as errors from now on: console.error messages (including
 * Chromium's "Failed to load resource" for 4xx/5xx answers), uncaught exceptions and failed
 * requests. Returns the live array.
 */
export function recordConsoleErrors(page) {
  const errors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') {
      const where = message.location()?.url ? ` (${message.location().url})` : '';
      errors.push(`console: ${message.text()}${where}`);
    }
  });
  page.on('pageerror', (error) => errors.push(`exception: ${error.message}`));
  page.on('requestfailed', (request) =>
    errors.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`.trim()),
  );
  page.on('response', (response) => {
    if (response.status() >= 400) errors.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  return errors;
}

const IMPACTS = ['serious', 'critical'];

/**
 * Runs axe-core on the page and throws when it finds a serious or critical violation,
 * listing each rule, its help URL and the elements concerned. Returns the axe results.
 * @param {import('playwright-core').Page} page
 * @param {{ exclude?: string[], disableRules?: string[] }} [options]
 */
export async function axeCheck(page, options = {}) {
  let builder = new AxeBuilder({ page });
  for (const selector of options.exclude ?? []) builder = builder.exclude(selector);
  if (options.disableRules?.length) builder = builder.disableRules(options.disableRules);
  const results = await builder.analyze();
  const blocking = results.violations.filter((v) => IMPACTS.includes(v.impact));
  if (blocking.length) {
    throw new Error(`axe: ${blocking.length} serious or critical violation(s) on ${page.url()}\n${formatViolations(blocking)}`);
  }
  return results;
}

export function formatViolations(violations) {
  return violations
    .map((v) => {
      const nodes = v.nodes
        .slice(0, 8)
        .map((n) => `    - ${n.target.join(' ')}\n      ${(n.failureSummary ?? '').replace(/\n/g, '\n      ')}`)
        .join('\n');
      const more = v.nodes.length > 8 ? `\n    … and ${v.nodes.length - 8} more` : '';
      return `  [${v.impact}] ${v.id}: ${v.help}\n    ${v.helpUrl}\n${nodes}${more}`;
    })
    .join('\n');
}

/**
 * Writes full-page screenshots of the current page at phone and desktop widths:
 * artifacts/<name>-phone.png and artifacts/<name>-desktop.png. Returns their paths.
 */
export async function screenshot(page, name) {
  mkdirSync(artifactsDir, { recursive: true });
  const original = page.viewportSize();
  const paths = [];
  for (const [label, size] of [
    ['phone', PHONE],
    ['desktop', DESKTOP],
  ]) {
    await page.setViewportSize(size);
    // Let layout, web fonts and maps settle at the new width.
    await page.evaluate(() => document.fonts.ready);
    await page.waitForTimeout(150);
    const path = join(artifactsDir, `${name}-${label}.png`);
    await page.screenshot({ path, fullPage: true });
    paths.push(path);
  }
  if (original) await page.setViewportSize(original);
  return paths;
}
