// The observatory's views in a real browser: the choropleth map of foreign residents by
// province and the comparison of two territories over time, in Italian, English and the
// portal's Arabic (right to left); accessible (axe) at every step; screenshots of the maps in
// tests/e2e/artifacts/observatory-*.png.

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

const LAQUILA = { it: '23.047', en: '23,047', ar: '23.047' };

for (const lang of ['it', 'en', 'ar']) {
  test(`a visitor in ${lang} opens the map of foreign residents and picks 2023`, async () => {
    const page = await browser.newPage();
    const errors = recordConsoleErrors(page);
    await page.goto(`${server.url}/${lang}/observatory`, { waitUntil: 'networkidle' });
    assert.equal(await page.getAttribute('html', 'dir'), lang === 'ar' ? 'rtl' : 'ltr');
    await axeCheck(page);
    await page.locator('#ob-datasets a[href*="/observatory/foreign_residents?view=map"]').click();
    await page.waitForLoadState('networkidle');
    if (lang === 'ar') {
      // The portal's languages have the observatory's messages too.
      assert.match(await page.locator('h1').textContent(), /المقيمون الأجانب/);
      assert.match(await page.locator('#ob-f-level').textContent(), /المقاطعة/);
    }
    const map = page.locator('#ob-figure svg.ob-map');
    assert.equal(await map.getAttribute('role'), 'img');
    assert.equal(await map.getAttribute('aria-labelledby'), 'ob-caption');
    assert.equal(await map.locator('path[data-code]').count(), 107, 'every province is drawn');

    // Change the date with the plain form: the URL says what is shown.
    await page.selectOption('#ob-f-period', '2023-01-01');
    await page.locator('#ob-form button[type=submit]').click();
    await page.waitForLoadState('networkidle');
    assert.match(page.url(), /view=map&level=province&period=2023-01-01&sex=total/);
    const title = await page.locator('path[data-code="066"] title').textContent();
    assert.equal(title, `L'Aquila: ${LAQUILA[lang]}`);
    const row = page.locator('#ob-table tr', { has: page.locator('th', { hasText: "L'Aquila" }) });
    assert.equal((await row.locator('td').textContent()).trim(), LAQUILA[lang]);
    const box = await map.boundingBox();
    assert.ok(box.width > 200 && box.height > 200, `the map is visible: ${JSON.stringify(box)}`);
    assert.match(await page.locator('#ob-caption').textContent(), /ISTAT/);
    await axeCheck(page);
    await screenshot(page, `observatory-map-${lang}`);
    assert.deepEqual(errors, [], `console errors:\n${errors.join('\n')}`);
    await page.close();
  });
}

for (const lang of ['it', 'en']) {
  test(`a visitor in ${lang} compares L'Aquila with Teramo over time`, async () => {
    const page = await browser.newPage();
    const errors = recordConsoleErrors(page);
    await page.goto(`${server.url}/${lang}/observatory/foreign_residents?view=series&territory=066`, {
      waitUntil: 'networkidle',
    });
    await page.selectOption('#ob-f-compare', '067');
    await page.locator('#ob-form button[type=submit]').click();
    await page.waitForLoadState('networkidle');
    assert.match(page.url(), /view=series&sex=total&territory=066&compare=067/);
    const chart = page.locator('#ob-figure svg.ob-line');
    assert.equal(await chart.getAttribute('role'), 'img');
    assert.equal(await chart.locator('path[stroke-width="2.5"]').count(), 2, 'two series');
    const head = await page.locator('#ob-table thead th').allTextContents();
    assert.deepEqual(head.slice(1), ["L'Aquila", 'Teramo']);
    assert.equal(await page.locator('#ob-table tbody tr').count(), 6, '1 January 2019–2024');
    await axeCheck(page);
    await screenshot(page, `observatory-compare-${lang}`);

    // The export links give the same table.
    const csv = await page.locator('#ob-exports a', { hasText: 'CSV' }).getAttribute('href');
    const response = await page.request.get(`${server.url}${csv}`);
    assert.equal(response.status(), 200);
    assert.match(await response.text(), /^\uFEFF?territory,territory_label,period,period_label,sex,sex_label,value,status/);
    assert.deepEqual(errors, [], `console errors:\n${errors.join('\n')}`);
    await page.close();
  });
}

test('the network indicators open from the observatory as a map of services per foreign residents', async () => {
  const page = await browser.newPage();
  const errors = recordConsoleErrors(page);
  await page.goto(`${server.url}/it/observatory`, { waitUntil: 'networkidle' });
  await page.locator('#ob-indicators a[href*="/observatory/indicators/services_per_10000_foreign_residents"]').click();
  await page.waitForLoadState('networkidle');
  assert.match(await page.locator('h1').textContent(), /Servizi ogni 10\.000 stranieri residenti/);
  const map = page.locator('#ob-figure svg.ob-map');
  assert.equal(await map.locator('path[data-code]').count(), 107, 'every province is drawn');
  const row = page.locator('#ob-table tr', { has: page.locator('th', { hasText: "L'Aquila" }) });
  assert.notEqual((await row.locator('td').textContent()).trim(), '0', 'the demo network serves L\'Aquila');
  await axeCheck(page);
  await screenshot(page, 'observatory-indicator-map-it');
  // The same by need category, with the plain form.
  await page.selectOption('#ob-f-by', 'category');
  await page.locator('#ob-form button[type=submit]').click();
  await page.waitForLoadState('networkidle');
  assert.match(page.url(), /by=category/);
  assert.match(await page.locator('#ob-table').textContent(), /Salute/);
  await axeCheck(page);
  await screenshot(page, 'observatory-indicator-categories-it');
  // Abruzzo beside Molise, from the form: one bar each, the table by category and region.
  await page.selectOption('#ob-f-region', '13');
  await page.selectOption('#ob-f-compare', '14');
  await page.locator('#ob-form button[type=submit]').click();
  await page.waitForLoadState('networkidle');
  assert.match(page.url(), /compare=14/);
  const bars = page.locator('#ob-figure svg.ob-bars');
  assert.match(await bars.textContent(), /Abruzzo/);
  assert.match(await bars.textContent(), /Molise/);
  const head = await page.locator('#ob-table thead').textContent();
  assert.match(head, /Abruzzo/);
  assert.match(head, /Molise/);
  assert.match(await page.locator('#ob-permalink').textContent(), /region=13.*compare=14/);
  await axeCheck(page);
  await screenshot(page, 'observatory-indicator-compare-it');
  assert.deepEqual(errors, [], `console errors:\n${errors.join('\n')}`);
  await page.close();
});
