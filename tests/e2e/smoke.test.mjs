// Smoke: the server answers, the embedded assets are served, the home page loads in Chromium
// with its CSS, fonts and scripts and without console errors.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { axeCheck, launchBrowser, recordConsoleErrors, screenshot } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('GET /healthz answers 200', async () => {
  const response = await fetch(`${server.url}/healthz`);
  assert.equal(response.status, 200, await response.text());
});

test('Bootstrap Italia CSS is served as text/css, with an ETag and a 304 for it', async () => {
  const url = `${server.url}/static/bootstrap-italia/css/bootstrap-italia.min.css`;
  const response = await fetch(url);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/css/);
  assert.ok((await response.text()).length > 100_000, 'the stylesheet looks truncated');
  const etag = response.headers.get('etag');
  assert.ok(etag, 'no ETag');
  const again = await fetch(url, { headers: { 'If-None-Match': etag } });
  assert.equal(again.status, 304);
});

test('the home page loads without console errors, with its fonts and scripts', async () => {
  const page = await browser.newPage();
  const errors = recordConsoleErrors(page);
  const response = await page.goto(`${server.url}/`, { waitUntil: 'load' });
  assert.ok(response?.ok(), `GET / answered ${response?.status()}`);
  await page.waitForLoadState('networkidle');

  const state = await page.evaluate(async () => {
    await document.fonts.ready;
    return {
      lang: document.documentElement.lang,
      bootstrap: typeof window.bootstrap,
      leaflet: typeof window.L,
      titillium: document.fonts.check('16px "Titillium Web"'),
      titilliumLoaded: [...document.fonts].some((f) => f.family.includes('Titillium') && f.status === 'loaded'),
      bodyFont: getComputedStyle(document.body).fontFamily,
    };
  });
  // Pages carry only the JavaScript they use: no Bootstrap Italia bundle, no Leaflet
  // without a map.
  assert.equal(state.bootstrap, 'undefined', 'bootstrap-italia.bundle.min.js is loaded');
  assert.equal(state.leaflet, 'undefined', 'Leaflet is loaded on a page without a map');
  assert.match(state.bodyFont, /Titillium Web/, 'Bootstrap Italia CSS not applied');
  assert.ok(state.titilliumLoaded, 'Titillium Web was not loaded from /static/bootstrap-italia/fonts');

  await screenshot(page, `home-${state.lang || 'default'}`);
  assert.deepEqual(errors, [], `console errors on ${page.url()}:\n${errors.join('\n')}`);
});

test('the home page has no serious or critical accessibility violation', async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/`, { waitUntil: 'networkidle' });
  await axeCheck(page);
  await page.close();
});
