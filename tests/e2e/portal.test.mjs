// The public portal as a visitor uses it: in Arabic (right to left) and in Italian, from the
// home page to a service's opening hours; accessible (axe) at every step; screenshots at phone
// and desktop widths in tests/e2e/artifacts/.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { PHONE, axeCheck, launchBrowser, recordConsoleErrors, screenshot } from './lib/browser.mjs';
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

const DOCTOR = { ar: 'طبيب', it: 'medico' };

test('search and service pages fit a 390 px phone in every direction', async () => {
  const page = await browser.newPage();
  await page.setViewportSize(PHONE);
  const response = await fetch(`${server.url}/api/hsds/services?per_page=1`);
  const service = (await response.json()).contents[0].id;
  for (const lang of ['ar', 'it']) {
    for (const path of [`/${lang}/search?q=${encodeURIComponent(DOCTOR[lang])}`, `/${lang}/services/${service}`, `/${lang}/`]) {
      await page.goto(`${server.url}${path}`, { waitUntil: 'networkidle' });
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= PHONE.width, `${path} is ${width} px wide on a ${PHONE.width} px phone`);
    }
  }
  await page.close();
});

for (const lang of ['ar', 'it']) {
  test(`a visitor in ${lang} searches for a doctor, filters by comune and sees opening hours`, async () => {
    const page = await browser.newPage();
    const errors = recordConsoleErrors(page);
    await page.goto(`${server.url}/${lang}/`, { waitUntil: 'networkidle' });
    await page.fill('#q', DOCTOR[lang]);
    await page.locator('form[role=search] button[type=submit]').click();
    await page.waitForLoadState('networkidle');
    assert.equal(await page.getAttribute('html', 'dir'), lang === 'ar' ? 'rtl' : 'ltr');
    const before = await page.locator('ol li.card').count();
    assert.ok(before > 0, 'doctors are found');

    // Filter by the first comune offered.
    const comune = await page.locator('#comune option').nth(1).getAttribute('value');
    await page.selectOption('#comune', comune);
    await page.locator('form[role=search] button[type=submit]').click();
    await page.waitForLoadState('networkidle');
    assert.match(page.url(), new RegExp(`comune=${comune}`));
    const after = await page.locator('ol li.card').count();
    assert.ok(after > 0 && after <= before, `filtering by comune keeps ${after} of ${before}`);
    await axeCheck(page);
    await screenshot(page, `search-doctor-${lang}`);

    const links = await page.locator('ol li.card h2 a').evaluateAll((as) => as.map((a) => a.href));
    let hours = false;
    for (const href of links) {
      await page.goto(href, { waitUntil: 'networkidle' });
      if ((await page.locator('table.crocevia-hours tbody tr').count()) > 0) {
        hours = true;
        break;
      }
    }
    assert.ok(hours, 'a doctor service shows its opening hours');
    assert.equal(await page.getAttribute('html', 'dir'), lang === 'ar' ? 'rtl' : 'ltr');
    await axeCheck(page);
    assert.deepEqual(errors, [], `console errors:\n${errors.join('\n')}`);
    await page.close();
  });

  test(`a visitor in ${lang} goes from a need to a service's opening hours`, async () => {
    const page = await browser.newPage();
    const errors = recordConsoleErrors(page);
    await page.goto(`${server.url}/${lang}/`, { waitUntil: 'networkidle' });
    assert.equal(await page.getAttribute('html', 'dir'), lang === 'ar' ? 'rtl' : 'ltr');
    assert.equal(await page.getAttribute('html', 'lang'), lang);
    await axeCheck(page);
    await screenshot(page, `home-${lang}`);

    // The health category, labelled in the visitor's language.
    await page.locator('a.crocevia-need[href$="need=health"]').click();
    await page.waitForLoadState('networkidle');
    assert.match(page.url(), new RegExp(`/${lang}/search\\?need=health`));
    const results = page.locator('ol li.card');
    assert.ok((await results.count()) > 0, 'health services are listed');
    await page.locator('.crocevia-map .leaflet-marker-icon').first().waitFor();
    await axeCheck(page);
    await screenshot(page, `search-${lang}`);

    // The first service with opening hours.
    const links = await results.locator('h2 a').evaluateAll((as) => as.map((a) => a.href));
    let found = false;
    for (const href of links) {
      await page.goto(href, { waitUntil: 'networkidle' });
      if ((await page.locator('table.crocevia-hours tbody tr').count()) > 0) {
        found = true;
        break;
      }
    }
    assert.ok(found, 'a health service shows its opening hours');
    assert.equal(await page.getAttribute('html', 'dir'), lang === 'ar' ? 'rtl' : 'ltr');
    const firstDay = await page.locator('table.crocevia-hours th').first().innerText();
    const mondayLabel = { ar: 'الاثنين', it: 'Lunedì' }[lang];
    assert.ok(firstDay.length > 0);
    if (firstDay.includes(mondayLabel) === false) {
      // Not every service opens on Monday; the labels must still be in the page's language.
      assert.doesNotMatch(firstDay, lang === 'ar' ? /[A-Za-z]/ : /[\u0600-\u06FF]/);
    }
    await axeCheck(page);
    await screenshot(page, `service-${lang}`);
    assert.deepEqual(errors, [], `console errors:\n${errors.join('\n')}`);
    await page.close();
  });
}

test('the language switcher keeps the visitor on the same page', async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/it/credits`, { waitUntil: 'networkidle' });
  await page.locator('a[hreflang="fr"]').click();
  await page.waitForLoadState('networkidle');
  assert.match(page.url(), /\/fr\/credits$/);
  assert.equal(await page.getAttribute('html', 'lang'), 'fr');
  await axeCheck(page);
  await page.close();
});

test('pages print without the header, footer and navigation', async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/it/search?need=documents`, { waitUntil: 'networkidle' });
  const href = await page.locator('ol li.card h2 a').first().getAttribute('href');
  await page.goto(`${server.url}${href}`, { waitUntil: 'networkidle' });
  await page.emulateMedia({ media: 'print' });
  const visible = await page.evaluate(() => ({
    header: getComputedStyle(document.querySelector('header')).display,
    footer: getComputedStyle(document.querySelector('footer')).display,
  }));
  assert.equal(visible.header, 'none');
  assert.equal(visible.footer, 'none');
  await page.close();
});
