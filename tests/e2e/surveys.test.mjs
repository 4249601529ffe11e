// Needs-assessment surveys in a real browser, designing nothing by hand: a coordinator uploads
// a broken form (every problem listed by row) and then our own it/en/fr/ar XLSForm
// (data/surveys/needs-assessment.xlsx), deploys it and takes the share link; one respondent
// fills it in in Arabic (right to left), another in Italian (a constraint refused, a repeat
// grown, "other" specified); the coordinator reads the analysis (small counts shown as "<5")
// and downloads the XLSX export, whose sheets and cells are checked.

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { inflateRawSync } from 'node:zlib';

import { axeCheck, launchBrowser, recordConsoleErrors, screenshot } from './lib/browser.mjs';
import { TEST_PASSWORD, createUser, repoRoot, startServer } from './lib/server.mjs';

const COORDINATOR = 'coordinatrice@prefettura-aq.example';
const FORM = join(repoRoot, 'data', 'surveys', 'needs-assessment.xlsx');

let server;
let coordinator;
let arabic;
let italian;

before(async () => {
  server = await startServer();
  coordinator = await launchBrowser();
  arabic = await launchBrowser({ locale: 'ar' });
  italian = await launchBrowser();
  const organizations = (await (await fetch(`${server.url}/api/hsds/organizations?per_page=200`)).json()).contents;
  const prefettura = organizations.find((o) => o.name.startsWith('Prefettura') && o.name.includes('Aquila'));
  assert.ok(prefettura, "the demo has the Prefettura dell'Aquila");
  createUser(server, prefettura.id, COORDINATOR, 'coordinator');
});

after(async () => {
  await coordinator?.close();
  await arabic?.close();
  await italian?.close();
  await server?.stop();
});

/** The entries of a ZIP archive (an .xlsx) as text, by name. */
function unzipText(buffer) {
  let eocd = buffer.length - 22;
  while (eocd >= 0 && buffer.readUInt32LE(eocd) !== 0x06054b50) eocd -= 1;
  assert.ok(eocd >= 0, 'a ZIP archive');
  const count = buffer.readUInt16LE(eocd + 10);
  let at = buffer.readUInt32LE(eocd + 16);
  const files = {};
  for (let i = 0; i < count; i += 1) {
    assert.equal(buffer.readUInt32LE(at), 0x02014b50);
    const method = buffer.readUInt16LE(at + 10);
    const size = buffer.readUInt32LE(at + 20);
    const nameLength = buffer.readUInt16LE(at + 28);
    const extraLength = buffer.readUInt16LE(at + 30);
    const commentLength = buffer.readUInt16LE(at + 32);
    const local = buffer.readUInt32LE(at + 42);
    const name = buffer.toString('utf8', at + 46, at + 46 + nameLength);
    const dataStart = local + 30 + buffer.readUInt16LE(local + 26) + buffer.readUInt16LE(local + 28);
    const data = buffer.subarray(dataStart, dataStart + size);
    files[name] = (method === 8 ? inflateRawSync(data) : data).toString('utf8');
    at += 46 + nameLength + extraLength + commentLength;
  }
  return files;
}

async function logIn(someBrowser, lang, email) {
  const page = await someBrowser.newPage();
  await page.goto(`${server.url}/${lang}/login`, { waitUntil: 'networkidle' });
  await page.fill('#email', email);
  await page.fill('#password', TEST_PASSWORD);
  await page.locator('form[action$="/login"] button[type=submit]').first().click();
  await page.waitForLoadState('networkidle');
  return page;
}

/**
 * Clicks a button of the respondent's form and waits for htmx to swap the next page in: the
 * old region leaves the document (replaced, or the thanks put in its place) and nothing is
 * in flight or settling any more.
 */
async function swapBy(page, button) {
  await page.waitForFunction(() => window.htmx && !document.querySelector('.htmx-request'));
  const region = await page.$('#survey-region');
  await button.click();
  await page.waitForFunction((el) => !el.isConnected, region);
  await page.waitForFunction(() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping'));
}

/** Submits the respondent's page with its main button. */
async function next(page) {
  await swapBy(page, page.locator('#survey-form .d-flex button[value=next]'));
}

/** Waits until live re-evaluation has answered. */
async function settled(page) {
  await page.waitForFunction(() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping'));
}

let sharePath;

test('a coordinator deploys our XLSForm, it is answered in Arabic and Italian, analysed and exported', async () => {
  const coord = await logIn(coordinator, 'it', COORDINATOR);
  await coord.goto(`${server.url}/it/surveys`, { waitUntil: 'networkidle' });
  await axeCheck(coord);

  // A broken form: nothing saved, every problem by sheet, row and column.
  const dir = mkdtempSync(join(tmpdir(), 'crocevia-forms-'));
  const broken = join(dir, 'broken.csv');
  writeFileSync(
    broken,
    'survey,type,name,label,relevant\n,integer,age,Age,\n,select_one colours,colour,Colour,${nobody} = 1\n,weird,x,X,\n' +
      'choices,list_name,name,label\n,sizes,s,Small\n',
  );
  await coord.setInputFiles('#file', broken);
  await coord.locator('form[enctype] button[type=submit]').click();
  await coord.waitForLoadState('networkidle');
  assert.match(await coord.locator('#outcome').textContent(), /non è stato salvato/);
  const problemRows = await coord.locator('#problems tbody tr').allTextContents();
  assert.ok(problemRows.some((r) => /\b3\b/.test(r) && /relevant/.test(r)), problemRows.join('\n'));
  assert.ok(problemRows.some((r) => /\b4\b/.test(r)), problemRows.join('\n'));
  await axeCheck(coord);
  await screenshot(coord, 'surveys-upload-refused-it');

  // Our form, uploaded and deployed (from here on, no request fails).
  const coordErrors = recordConsoleErrors(coord);
  await coord.setInputFiles('#file', FORM);
  await coord.locator('form[enctype] button[type=submit]').click();
  await coord.waitForLoadState('networkidle');
  assert.match(coord.url(), /\/it\/surveys\/[0-9a-f-]{36}$/);
  const surveyUrl = coord.url();
  assert.match(await coord.locator('h1').textContent(), /Rilevazione dei bisogni/);
  await coord.getByRole('button', { name: 'Apri la versione 1' }).click();
  await coord.waitForLoadState('networkidle');
  assert.match(await coord.locator('#versions').textContent(), /aperta/);
  await axeCheck(coord);
  await screenshot(coord, 'surveys-deployed-it');
  const shareHref = await coord.locator('#share-link').getAttribute('href');
  sharePath = new URL(shareHref).pathname.replace(/^\/it/, '');
  assert.match(sharePath, /^\/s\/\S+$/);

  // In Arabic: right to left, the form's Arabic labels.
  const ar = await arabic.newPage();
  const arErrors = recordConsoleErrors(ar);
  await ar.goto(`${server.url}/ar${sharePath}`, { waitUntil: 'networkidle' });
  assert.equal(await ar.locator('html').getAttribute('dir'), 'rtl');
  assert.match(await ar.locator('#survey-form').textContent(), /الجنس/);
  assert.match(await ar.locator('#progress-text').textContent(), /1 \/ 3/);
  await axeCheck(ar);
  await screenshot(ar, 'surveys-respond-ar');
  await ar.locator('label[for=q-sex-male]').click();
  await ar.fill('#q-age', '31');
  await next(ar);
  assert.match(await ar.locator('#progress-text').textContent(), /2 \/ 3/);
  await ar.fill('#q-member-0-member_age', '31');
  await next(ar);
  await ar.locator('label[for=q-needs-documents]').click();
  await ar.locator('label[for=q-needs-housing]').click();
  await ar.locator('label[for=q-has_work-no]').click();
  await axeCheck(ar);
  await next(ar);
  assert.match(await ar.locator('h1').textContent(), /شكرًا لك/);
  assert.deepEqual(arErrors, []);

  // In Italian: a constraint refused with the form's message, a repeat grown, "other" given.
  const it = await italian.newPage();
  await it.goto(`${server.url}/it${sharePath}`, { waitUntil: 'networkidle' });
  await it.locator('label[for=q-sex-female]').click();
  await it.fill('#q-age', '12');
  await next(it);
  assert.match(await it.locator('#errors').textContent(), /L'età deve essere tra 16 e 100 anni/);
  assert.equal(await it.locator('#q-age').getAttribute('aria-invalid'), 'true');
  await axeCheck(it);
  await screenshot(it, 'surveys-respond-error-it');
  await it.fill('#q-age', '38');
  await next(it);
  await it.fill('#q-member-0-member_age', '10');
  await swapBy(it, it.getByRole('button', { name: /Aggiungi/ }));
  assert.equal(await it.locator('#r-member-1').count(), 1, 'a second person');
  await it.fill('#q-member-1-member_age', '40');
  await next(it);
  // The school question appeared for the 10-year-old, and is required.
  assert.equal(await it.locator('#q-member-0-member_school').count(), 1);
  await it.locator('label[for=q-member-0-member_school-yes]').click();
  await next(it);
  assert.match(await it.locator('#progress-text').textContent(), /3 \/ 3/);
  await it.locator('label[for=q-needs-work]').click();
  await it.locator('label[for=q-needs-other]').click();
  await it.fill('#q-needs_other', 'Bicicletta');
  await it.locator('label[for=q-has_work-yes]').click();
  await next(it);
  // Hours are asked once work is answered yes (evaluated on the server).
  await it.fill('#q-hours', '20');
  await next(it);
  assert.match(await it.locator('h1').textContent(), /Grazie/);

  // The analysis: two questionnaires, so every count is below five.
  await coord.goto(`${surveyUrl}/versions/1/analysis?by=sex`, { waitUntil: 'networkidle' });
  assert.match(await coord.locator('#completed').textContent(), /<5/);
  const needs = await coord.locator('#q-needs').textContent();
  assert.match(needs, /Casa/);
  assert.match(needs, /<5/);
  assert.doesNotMatch(await coord.locator('#q-needs tbody').textContent(), /\b1\b/, 'no count of one is published');
  await axeCheck(coord);
  await screenshot(coord, 'surveys-analysis-it');

  // The XLSX export, with Arabic labels: the main sheet and the household sheet.
  const response = await coord.request.get(`${surveyUrl}/versions/1/export.xlsx?labels=ar&multiple=split`);
  assert.equal(response.status(), 200);
  const files = unzipText(await response.body());
  const workbook = files['xl/workbook.xml'];
  assert.match(workbook, /name="needs_assessment"/);
  assert.match(workbook, /name="member"/);
  const allText = Object.entries(files)
    .filter(([name]) => name.startsWith('xl/'))
    .map(([, text]) => text)
    .join('\n');
  for (const expected of ['الجنس', 'امرأة', 'رجل', 'العمل', 'Bicicletta', '_index']) {
    assert.ok(allText.includes(expected), `the export holds ${expected}`);
  }
  assert.deepEqual(coordErrors, []);
});

test('with htmx, an answer reveals the question it makes relevant in place, and Next swaps the page', async () => {
  assert.ok(sharePath, 'the first test deployed the survey');
  const page = await italian.newPage();
  const errors = recordConsoleErrors(page);
  const posts = [];
  page.on('request', (r) => {
    if (r.method() === 'POST') posts.push(r.headers()['hx-request']);
  });
  await page.goto(`${server.url}/it${sharePath}`, { waitUntil: 'networkidle' });
  await page.evaluate(() => {
    window.stillHere = true;
  });
  await page.locator('label[for=q-sex-male]').click();
  await page.fill('#q-age', '29');
  await next(page);
  assert.match(await page.locator('#progress-text').textContent(), /2 \/ 3/);
  assert.match(await page.locator('#survey-status').textContent(), /Pagina 2 \/ 3/, 'the live region says where we are');
  assert.equal(await page.evaluate(() => window.stillHere), true, 'the page was not loaded again');
  assert.equal(await page.evaluate(() => performance.getEntriesByType('navigation').length), 1);

  // A child's age makes the school question appear, without leaving the page or losing focus.
  assert.equal(await page.locator('#q-member-0-member_school-yes').count(), 0);
  await page.fill('#q-member-0-member_age', '9');
  await page.press('#q-member-0-member_age', 'Tab');
  await page.locator('#q-member-0-member_school-yes').waitFor();
  await settled(page);
  assert.equal(await page.inputValue('#q-member-0-member_age'), '9', 'what was typed stays');
  assert.notEqual(await page.evaluate(() => document.activeElement?.tagName), 'BODY', 'focus is not lost');
  assert.match(await page.locator('#survey-status').textContent(), /aggiornate/);
  // A constraint message as soon as the answer changes, and gone once it is right.
  await page.fill('#q-member-0-member_age', '150');
  await page.press('#q-member-0-member_age', 'Tab');
  await page.locator('#q-member-0-member_age-error').waitFor();
  assert.match(await page.locator('#q-member-0-member_age-error').textContent(), /tra 0 e 110/);
  await page.fill('#q-member-0-member_age', '9');
  await page.press('#q-member-0-member_age', 'Tab');
  await page.locator('#q-member-0-member_age-error').waitFor({ state: 'detached' });
  await page.locator('label[for=q-member-0-member_school-yes]').click();
  await settled(page);
  await axeCheck(page);
  await screenshot(page, 'surveys-respond-htmx-it');
  await next(page);
  assert.match(await page.locator('#progress-text').textContent(), /3 \/ 3/);

  // Work answered yes asks for the hours at once.
  assert.equal(await page.locator('#q-hours').count(), 0);
  await page.locator('label[for=q-has_work-yes]').click();
  await page.locator('#q-hours').waitFor();
  await page.fill('#q-hours', '12');
  await page.locator('label[for=q-needs-housing]').click();
  await next(page);
  assert.match(await page.locator('h1').textContent(), /Grazie/);
  assert.equal(await page.evaluate(() => window.stillHere), true, 'sent without a page load');
  assert.equal(await page.evaluate(() => performance.getEntriesByType('navigation').length), 1);
  await axeCheck(page);
  assert.ok(posts.length >= 5 && posts.every((h) => h === 'true'), `every POST went through htmx: ${posts}`);
  assert.deepEqual(errors, []);
});
