// The back office as an editor uses it: log in, confirm a stale service is still valid, and
// the public page shows the new verification date. Accessible in Italian and Arabic.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { axeCheck, launchBrowser, recordConsoleErrors, screenshot } from './lib/browser.mjs';
import { TEST_PASSWORD, createUser, startServer } from './lib/server.mjs';

const PASSWORD = TEST_PASSWORD;
let server;
let browser;
let email;
let organization;


before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  // An organisation of the demo with a stale service: the first stale one the API lists.
  const response = await fetch(`${server.url}/api/hsds/services?per_page=1000`);
  const services = (await response.json()).contents;
  const cutoff = new Date(Date.now() - 183 * 24 * 3600 * 1000).toISOString().slice(0, 10);
  const stale = services.find((s) => s.assured_date && s.assured_date < cutoff);
  assert.ok(stale, 'the demo has stale services');
  email = 'editor@crocevia.example';
  organization = stale.organization_id;
  createUser(server, organization, email, 'editor');
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function logIn(page, lang, who = email) {
  // The browser keeps one profile for all pages: start each login signed out.
  await page.context().clearCookies();
  await page.goto(`${server.url}/${lang}/backoffice`, { waitUntil: 'networkidle' });
  assert.match(page.url(), new RegExp(`/${lang}/login`), 'the back office asks for a login');
  await axeCheck(page);
  await page.fill('#email', who);
  await page.fill('#password', PASSWORD);
  await page.locator('form button[type=submit]').click();
  await page.waitForLoadState('networkidle');
  assert.match(page.url(), new RegExp(`/${lang}/backoffice`));
}

test('a wrong password is refused without saying which part was wrong', async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/it/login`, { waitUntil: 'networkidle' });
  await axeCheck(page);
  await page.fill('#email', email);
  await page.fill('#password', 'sbagliata-sbagliata');
  await page.locator('form button[type=submit]').click();
  await page.waitForLoadState('networkidle');
  assert.ok(await page.locator('#login-error').isVisible());
  await page.close();
});

test('an editor confirms a stale service and the public page shows it as verified today', async () => {
  const page = await browser.newPage();
  const errors = recordConsoleErrors(page);
  await logIn(page, 'it');
  await axeCheck(page);
  await screenshot(page, 'backoffice-it');
  const staleRow = page.locator('tr', { hasText: 'Da verificare' }).first().locator('form[action*="/confirm"]');
  const action = await staleRow.getAttribute('action');
  const serviceId = action.match(/services\/([0-9a-f-]+)\/confirm/)[1];
  const before = await (await fetch(`${server.url}/it/services/${serviceId}`)).text();
  assert.ok(before.includes('Da verificare'), 'the public page marks the service as possibly out of date');
  await staleRow.locator('button').click();
  await page.waitForLoadState('networkidle');

  await page.goto(`${server.url}/it/services/${serviceId}`, { waitUntil: 'networkidle' });
  const today = new Date();
  const shown = `${String(today.getDate()).padStart(2, '0')}/${String(today.getMonth() + 1).padStart(2, '0')}/${today.getFullYear()}`;
  assert.ok((await page.content()).includes(shown), `the public page says verified on ${shown}`);
  assert.equal(await page.locator('text=Da verificare').count(), 0, 'no longer marked stale');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the back office is accessible in Arabic too', async () => {
  const page = await browser.newPage();
  await logIn(page, 'ar');
  assert.equal(await page.getAttribute('html', 'dir'), 'rtl');
  await axeCheck(page);
  await screenshot(page, 'backoffice-ar');
  await page.close();
});

test('an editor edits a service, adds an English translation, confirms it and the public page shows it', async () => {
  const page = await browser.newPage();
  const errors = recordConsoleErrors(page);
  await logIn(page, 'it');
  const editLink = page.locator('a[href*="/backoffice/services/"][href$="/edit"]').first();
  const href = await editLink.getAttribute('href');
  const serviceId = href.match(/services\/([0-9a-f-]+)\/edit/)[1];
  await editLink.click();
  await page.waitForLoadState('networkidle');
  await axeCheck(page);
  await screenshot(page, 'backoffice-edit-it');

  // Every day of an opening-hours slot is clickable where its label shows (the labels of
  // the fields below used to lie over Saturday and Sunday at 1366 px).
  for (const day of await page.locator('#slot-0 .form-check label').all()) {
    await day.scrollIntoViewIfNeeded();
    const box = await day.boundingBox();
    const hit = await page.evaluate(
      ([x, y]) => document.elementFromPoint(x, y)?.closest('.form-check')?.querySelector('input')?.id ?? 'none',
      [box.x + box.width / 2, box.y + box.height / 2],
    );
    assert.equal(hit, await day.getAttribute('for'), `a click on ${await day.textContent()} reaches ${hit}`);
  }

  const description = 'Descrizione aggiornata dal test nel browser: orientamento e accompagnamento.';
  await page.fill('#f-description', description);
  await page.fill('#f-tr-en-name', 'Browser test desk');
  await page.fill('#f-tr-en-description', 'Guidance and accompaniment, updated in the browser.');
  await page.locator('label[for=mark_verified]').click();
  assert.ok(await page.isChecked('#mark_verified'));
  await page.locator('form.service-editor button[type=submit]').click();
  await page.waitForLoadState('networkidle');
  assert.ok(await page.locator('#saved').isVisible(), 'the page says it was saved');

  await page.locator('#saved a').click();
  await page.waitForLoadState('networkidle');
  assert.ok((await page.content()).includes(description), 'the Italian page shows the new description');
  const today = new Date();
  const shown = `${String(today.getDate()).padStart(2, '0')}/${String(today.getMonth() + 1).padStart(2, '0')}/${today.getFullYear()}`;
  assert.ok((await page.content()).includes(shown), 'verified today');

  await page.goto(`${server.url}/en/services/${serviceId}`, { waitUntil: 'networkidle' });
  assert.equal(await page.locator('h1').first().textContent().then((t) => t.trim()), 'Browser test desk');
  assert.ok((await page.content()).includes('Guidance and accompaniment, updated in the browser.'));
  assert.deepEqual(errors, []);
  await page.close();
});

test('a form with mistakes shows them beside the fields and in a summary, accessibly', async () => {
  const page = await browser.newPage();
  await logIn(page, 'ar');
  await page.locator('a[href*="/backoffice/services/"][href$="/edit"]').first().click();
  await page.waitForLoadState('networkidle');
  assert.equal(await page.getAttribute('html', 'dir'), 'rtl');
  await page.fill('#f-name', '');
  await page.fill('#f-email', 'non-un-indirizzo');
  await page.locator('form.service-editor button[type=submit]').click();
  await page.waitForLoadState('networkidle');
  assert.ok(await page.locator('#errors').isVisible());
  assert.ok(await page.locator('#e-email').isVisible());
  await axeCheck(page);
  await screenshot(page, 'backoffice-edit-errors-ar');
  await page.close();
});

test('an import from the browser lists the bad rows and imports nothing', async () => {
  const page = await browser.newPage();
  await logIn(page, 'it');
  await page.goto(`${server.url}/it/backoffice/import`, { waitUntil: 'networkidle' });
  await axeCheck(page);
  const csv = 'id,organization_id,name,status\nnot-a-uuid,x,,active\n';
  await page.setInputFiles('#files', { name: 'services.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.locator('form[enctype] button[type=submit]').click();
  await page.waitForLoadState('networkidle');
  assert.match(await page.locator('#outcome').textContent(), /Non è stato importato nulla/);
  assert.ok((await page.locator('#problems tbody tr').count()) >= 1);
  assert.equal(await page.locator('#problems tbody tr').first().locator('td').nth(1).textContent(), '2');
  await axeCheck(page);
  await screenshot(page, 'backoffice-import-it');
  await page.close();
});

test('what visitors searched and did not open reaches the coordinators, counted once per visitor', async () => {
  // Five visitors (the demo's disclosure threshold), told apart by their browser: each
  // searches, and the first two open a result from the results page (the browser's Referer).
  const query = 'medico di base';
  for (let n = 1; n <= 5; n += 1) {
    const page = await browser.newPage();
    await page.context().clearCookies();
    await page.setExtraHTTPHeaders({ 'user-agent': `visitor ${n}` });
    await page.goto(`${server.url}/it/search?q=${encodeURIComponent(query)}`, { waitUntil: 'networkidle' });
    if (n <= 2) {
      await page.locator('main a[href*="/it/services/"]').first().click();
      await page.waitForLoadState('networkidle');
      assert.match(page.url(), /\/it\/services\//);
    }
    await page.close();
  }
  const coordinator = 'coordinator@crocevia.example';
  createUser(server, organization, coordinator, 'coordinator');
  const page = await browser.newPage();
  await logIn(page, 'it', coordinator);
  await page.locator(`nav a[href="/it/backoffice/search-demand"]`).click();
  await page.waitForLoadState('networkidle');
  // The counts are written every 15 seconds.
  const row = page.locator('tr', { has: page.locator(`a:text-is("${query}")`) });
  for (let tries = 0; tries < 20 && (await row.count()) === 0; tries += 1) {
    await new Promise((r) => setTimeout(r, 2000));
    await page.reload({ waitUntil: 'networkidle' });
  }
  const cells = await row.locator('td.text-end').allTextContents();
  assert.deepEqual(cells.map((c) => c.trim()), ['5', '3', '0 / 5'], 'people, opened nothing, no result / searches');
  await axeCheck(page);
  await screenshot(page, 'backoffice-search-demand-it');
  await page.close();
});
