// Our own front-end assets (crates/web/assets/) in a real browser: crocevia.js draws maps
// without a tile server, crocevia.css mirrors what Bootstrap Italia does not under RTL.
// The pages are built here with setContent on the server's origin, so they do not depend on
// the portal's templates.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { artifactsDir, axeCheck, launchBrowser, recordConsoleErrors, screenshot } from './lib/browser.mjs';
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

function pageHtml({ dir = 'ltr', lang = 'it', body }) {
  return `<!doctype html>
<html lang="${lang}" dir="${dir}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>assets</title>
  <link rel="stylesheet" href="/static/bootstrap-italia/css/bootstrap-italia.min.css">
  <link rel="stylesheet" href="/static/leaflet/leaflet.css">
  <link rel="stylesheet" href="/static/crocevia/crocevia.css">
  <script src="/static/leaflet/leaflet.js" defer></script>
  <script src="/static/htmx/htmx.min.js" defer></script>
  <script src="/static/crocevia/crocevia.js" defer></script>
</head>
<body>
<main class="container my-4">${body}</main>
</body>
</html>`;
}

async function open(html) {
  const page = await browser.newPage();
  const errors = recordConsoleErrors(page);
  // Any request leaving loopback is a bug: maps must work offline.
  const outside = [];
  await page.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (route) => {
    outside.push(route.request().url());
    return route.abort();
  });
  await page.goto(`${server.url}/healthz`);
  await page.setContent(html, { waitUntil: 'networkidle' });
  return { page, errors, outside };
}

test('crocevia.js draws a map from data-points with no tile layer', async () => {
  const points = [
    { lat: 42.3498, lon: 13.3995, label: "Sportello <b>L'Aquila</b>", url: '/it/services/1' },
    { lat: 41.3171, lon: 16.2839, label: 'Sportello Barletta', url: '/it/services/2' },
  ];
  const { page, errors, outside } = await open(
    pageHtml({
      body: `<h1>Mappa</h1>
<div class="crocevia-map" role="img" aria-label="Mappa dei servizi" style="height:320px"
     data-points='${JSON.stringify(points).replace(/'/g, '&#39;')}' data-tiles=""></div>`,
    }),
  );
  await page.waitForSelector('.crocevia-map .leaflet-marker-icon');
  const state = await page.evaluate(() => ({
    markers: document.querySelectorAll('.crocevia-map .leaflet-marker-icon').length,
    tiles: document.querySelectorAll('.crocevia-map .leaflet-tile').length,
    ready: document.querySelector('.crocevia-map').dataset.mapReady,
    icon: document.querySelector('.leaflet-marker-icon').getAttribute('src'),
    title: document.querySelector('.leaflet-marker-icon').getAttribute('title'),
    role: document.querySelector('.crocevia-map').getAttribute('role'),
  }));
  assert.equal(state.markers, 2);
  assert.equal(state.tiles, 0);
  assert.equal(state.ready, 'true');
  assert.equal(state.icon, '/static/leaflet/images/marker-icon.png');
  assert.equal(state.title, "Sportello <b>L'Aquila</b>");
  // An interactive map is a labelled region, not an image (axe: nested-interactive).
  assert.equal(state.role, 'region');
  await axeCheck(page);

  // The popup shows the label as text, linked to the service.
  await page.click('.leaflet-marker-icon >> nth=0');
  const link = page.locator('.leaflet-popup-content a');
  await link.waitFor();
  assert.equal(await link.textContent(), "Sportello <b>L'Aquila</b>");
  assert.equal(await link.getAttribute('href'), '/it/services/1');

  await screenshot(page, 'assets-map');
  assert.deepEqual(outside, [], 'requests left the machine');
  assert.deepEqual(errors, [], errors.join('\n'));
  await page.close();
});

test('services at one spot share a marker that lists them, and zooming in parts them', async () => {
  const points = [
    { lat: 42.3498, lon: 13.3995, label: 'Questura', url: '/it/services/1' },
    { lat: 42.3501, lon: 13.3999, label: 'Prefettura', url: '/it/services/2' },
    { lat: 41.3171, lon: 16.2839, label: 'Barletta', url: '/it/services/3' },
  ];
  const { page, errors } = await open(
    pageHtml({
      body: `<div class="crocevia-map" role="img" aria-label="Mappa" style="height:320px"
     data-points='${JSON.stringify(points)}'></div>`,
    }),
  );
  await page.waitForSelector('.crocevia-map .crocevia-map-group');
  const group = page.locator('.crocevia-map-group');
  assert.equal(await group.textContent(), '2');
  assert.equal(await group.getAttribute('aria-label'), '2: Questura; Prefettura');
  assert.equal(await page.locator('.leaflet-marker-icon').count(), 2, 'two markers for three services');
  await axeCheck(page);
  await group.click();
  const links = page.locator('.leaflet-popup-content a');
  await links.first().waitFor();
  assert.deepEqual(await links.allTextContents(), ['Questura', 'Prefettura']);

  await page.evaluate(() => document.querySelector('.crocevia-map')._crocevia_map.setView([42.35, 13.3997], 18));
  await page.waitForFunction(() => document.querySelectorAll('.crocevia-map-group').length === 0);
  assert.equal(await page.locator('.leaflet-marker-icon').count(), 3);
  assert.deepEqual(errors, [], errors.join('\n'));
  await page.close();
});

test('crocevia.js draws boundaries from data-geojson-url', async () => {
  const { page, errors } = await open(pageHtml({ body: '<p>map</p>' }));
  // A small GeoJSON answered on the server's own origin (the CSP's connect-src is 'self').
  const geojson = {
    type: 'Feature',
    properties: {},
    geometry: {
      type: 'Polygon',
      coordinates: [[[13.2, 42.2], [13.6, 42.2], [13.6, 42.5], [13.2, 42.5], [13.2, 42.2]]],
    },
  };
  const url = `${server.url}/test-boundary.geojson`;
  await page.route(url, (route) =>
    route.fulfill({ contentType: 'application/geo+json', body: JSON.stringify(geojson) }),
  );
  await page.evaluate((geojsonUrl) => {
    const div = document.createElement('div');
    div.className = 'crocevia-map';
    div.style.height = '240px';
    div.setAttribute('data-geojson-url', geojsonUrl);
    document.querySelector('main').appendChild(div);
    window.Crocevia.initMaps(document);
  }, url);
  await page.waitForSelector('.crocevia-map path.leaflet-interactive, .crocevia-map svg path');
  assert.deepEqual(errors, [], errors.join('\n'));
  await page.close();
});

test('crocevia.css mirrors lists, breadcrumbs, checkboxes and spacing under dir=rtl', async () => {
  const { page, errors } = await open(
    pageHtml({
      dir: 'rtl',
      lang: 'ar',
      body: `<nav aria-label="مسار التنقل" class="breadcrumb-container">
  <ol class="breadcrumb"><li class="breadcrumb-item"><a href="#">الرئيسية</a></li>
  <li class="breadcrumb-item active" aria-current="page">البحث</li></ol></nav>
<ul class="list-unstyled" id="list"><li>طبيب</li><li>مدرسة</li></ul>
<span class="me-3" id="me3">x</span><span class="ms-2 me-md-4" id="both">y</span>
<div class="form-check"><input id="c1" type="checkbox" checked><label for="c1">مجاني</label></div>`,
    }),
  );
  const css = await page.evaluate(() => {
    const style = (id) => getComputedStyle(document.getElementById(id));
    const label = document.querySelector('label[for=c1]');
    const box = getComputedStyle(label, '::after');
    return {
      listPaddingRight: style('list').paddingRight,
      listPaddingLeft: style('list').paddingLeft,
      me3Left: style('me3').marginLeft,
      me3Right: style('me3').marginRight,
      bothRight: style('both').marginRight,
      bothLeft: style('both').marginLeft,
      labelPaddingRight: getComputedStyle(label).paddingRight,
      labelPaddingLeft: getComputedStyle(label).paddingLeft,
      boxRight: box.right,
    };
  });
  assert.equal(css.listPaddingRight, '0px');
  assert.equal(css.listPaddingLeft, '0px');
  assert.equal(css.me3Left, '16px');
  assert.equal(css.me3Right, '0px');
  // .ms-2.me-md-4 at desktop width (1366 px): both margins, mirrored.
  assert.equal(css.bothRight, '8px');
  assert.equal(css.bothLeft, '24px');
  assert.equal(css.labelPaddingRight, '32px');
  assert.equal(css.labelPaddingLeft, '0px');
  assert.equal(css.boxRight, '0px');
  await screenshot(page, 'assets-rtl');
  assert.deepEqual(errors, [], errors.join('\n'));
  await page.close();
});

test('keyboard focus is visible, also on dark backgrounds', async () => {
  const { page, errors } = await open(
    pageHtml({
      body: `<p><a href="#x" id="link">Un collegamento</a></p>
<button class="btn btn-primary" id="btn">Cerca</button>
<footer class="it-footer"><div class="it-footer-small-prints"><p class="text-white py-3 mb-0">
  Dati <a class="text-white" id="dark" href="#credits">Fonti dei dati</a></p></div></footer>`,
    }),
  );
  const focus = async () => {
    await page.keyboard.press('Tab');
    await page.waitForTimeout(400); // buttons animate their box-shadow
    return page.evaluate(() => {
      const el = document.activeElement;
      const style = getComputedStyle(el);
      return {
        id: el.id,
        outline: `${style.outlineWidth} ${style.outlineStyle} ${style.outlineColor}`,
        shadow: style.boxShadow,
        background: style.backgroundColor,
        color: style.color,
      };
    });
  };
  // A link in a paragraph: Bootstrap Italia's 3px black outline.
  const link = await focus();
  assert.equal(link.id, 'link');
  assert.equal(link.outline, '3px solid rgb(0, 0, 0)');
  // A button: a double ring, 2 and 5 px.
  const button = await focus();
  assert.equal(button.id, 'btn');
  assert.match(button.shadow, /rgb\(\d+, \d+, \d+\) 0px 0px 0px 2px, rgb\(\d+, \d+, \d+\) 0px 0px 0px 5px/);
  // A white link on the dark footer: Bootstrap Italia's outline on a white background, with
  // the text turned blue so it stays readable.
  const dark = await focus();
  assert.equal(dark.id, 'dark');
  assert.equal(dark.outline, '3px solid rgb(0, 0, 0)');
  assert.equal(dark.background, 'rgb(255, 255, 255)');
  assert.equal(dark.color, 'rgb(0, 102, 204)');
  await page.screenshot({ path: `${artifactsDir}/assets-focus.png` });
  assert.deepEqual(errors, [], errors.join('\n'));
  await page.close();
});
