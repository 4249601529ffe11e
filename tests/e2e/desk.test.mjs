// The orientation desk's whole loop in the demo network, in a real browser: an operator of the
// Prefettura records a person with two needs and refers each to the service the desk proposes
// first; an ASL operator accepts one and completes it with an outcome; the other expires
// unanswered; the operator sees both timelines (in Italian and in English), and the e-mail
// notices arrived at a real SMTP server on loopback (aiosmtpd).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { axeCheck, launchBrowser, recordConsoleErrors, screenshot } from './lib/browser.mjs';
import { TEST_PASSWORD, createUser, startServer } from './lib/server.mjs';

const PREF_EMAIL = 'operatore@prefettura-aq.example';
const ASL_EMAIL = 'operatore@asl-aq.example';
/** Normal (non-urgent) referrals expire this fast here, so the test sees one expire. */
const NORMAL_DEADLINE_S = 8;

let smtpd;
let maildir;
let server;
/** Two browsers, one per person: each keeps its own session cookie. */
let browser;
let secondBrowser;

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function waitForPort(port, timeoutMs = 20_000) {
  const started = Date.now();
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() - started > timeoutMs) throw new Error(`nothing listens on ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The messages aiosmtpd stored, as raw text. */
function mails() {
  const dir = join(maildir, 'new');
  try {
    return readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8'));
  } catch {
    return [];
  }
}

async function eventually(what, check, timeoutMs = 40_000) {
  const started = Date.now();
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

before(async () => {
  const python = process.env.CROCEVIA_TEST_AIOSMTPD;
  assert.ok(python, 'CROCEVIA_TEST_AIOSMTPD names a Python with aiosmtpd (scripts/e2e sets it up)');
  maildir = join(mkdtempSync(join(tmpdir(), 'crocevia-mail-')), 'maildir');
  const smtpPort = await freePort();
  smtpd = spawn(python, ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${smtpPort}`, '-c', 'aiosmtpd.handlers.Mailbox', maildir], {
    stdio: 'ignore',
  });
  await waitForPort(smtpPort);
  server = await startServer({
    env: {
      CROCEVIA_SMTP_HOST: '127.0.0.1',
      CROCEVIA_SMTP_PORT: String(smtpPort),
      CROCEVIA_SMTP_SECURITY: 'none',
      CROCEVIA_SMTP_FROM: 'Crocevia <noreply@crocevia.example>',
      CROCEVIA_DESK_NORMAL_DEADLINE: `${NORMAL_DEADLINE_S}s`,
      CROCEVIA_DESK_JOBS_INTERVAL: '1s',
    },
  });
  browser = await launchBrowser();
  secondBrowser = await launchBrowser();
  const organizations = (await (await fetch(`${server.url}/api/hsds/organizations?per_page=200`)).json()).contents;
  const prefettura = organizations.find((o) => o.name.startsWith('Prefettura') && o.name.includes('Aquila'));
  assert.ok(prefettura, "the demo has the Prefettura dell'Aquila");
  createUser(server, prefettura.id, PREF_EMAIL, 'operator');
  const asl = organizations.find((o) => o.name.startsWith('ASL') && o.name.includes('Aquila'));
  assert.ok(asl, "the demo has the ASL of L'Aquila");
  createUser(server, asl.id, ASL_EMAIL, 'operator');
});

after(async () => {
  await browser?.close();
  await secondBrowser?.close();
  await server?.stop();
  smtpd?.kill();
});

async function logIn(someBrowser, lang, email) {
  const page = await someBrowser.newPage();
  await page.goto(`${server.url}/${lang}/login`, { waitUntil: 'networkidle' });
  await page.fill('#email', email);
  await page.fill('#password', TEST_PASSWORD);
  await page.locator('form[action$="/login"] button[type=submit]').first().click();
  await page.waitForLoadState('networkidle');
  assert.match(page.url(), new RegExp(`/${lang}/desk$`), 'operators land on their desk');
  return page;
}

/** From the contact page: the need's proposals, then the first proposal's referral form, sent. */
async function referFirstProposal(page, needLabel) {
  const need = page.locator('article.need', { hasText: needLabel });
  await need.getByRole('link', { name: /Trova i servizi/ }).click();
  await page.waitForLoadState('networkidle');
  assert.match(await page.locator('h1').textContent(), /Servizi per/);
  const first = page.locator('li.proposal').first();
  assert.match(await first.textContent(), /Percorso previsto da/, 'the protocol pathway comes first');
  await axeCheck(page);
  const serviceName = (await first.locator('h2').textContent()).trim();
  const serviceHref = await first.locator('h2 a').getAttribute('href');
  await first.getByRole('link', { name: /Invia la persona/ }).click();
  await page.waitForLoadState('networkidle');
  await axeCheck(page);
  await page.locator('form[data-busy] button[type=submit]').click();
  await page.waitForLoadState('networkidle');
  assert.match(page.url(), /\/it\/desk\/referrals\//);
  assert.equal(await page.locator('#state').getAttribute('data-state'), 'sent');
  return { url: page.url(), serviceName, serviceId: serviceHref.split('/').pop() };
}

test('a person is referred, one referral is completed, the other expires, the e-mails arrive', async () => {
  const pref = await logIn(browser, 'it', PREF_EMAIL);
  const consoleErrors = recordConsoleErrors(pref);
  await axeCheck(pref);

  // A new person, with consent to referral and to be contacted.
  await pref.locator('#new-contact').click();
  await pref.waitForLoadState('networkidle');
  await axeCheck(pref);
  await pref.selectOption('#f-sex', 'female');
  // Thirty years old whatever the year the test runs in: the 25-34 band.
  await pref.fill('#f-birth_year', String(new Date().getFullYear() - 30));
  await pref.selectOption('#f-citizenship', '201');
  await pref.fill('#f-comune', "L'Aquila");
  await pref.locator('label[for=lang-sq]').click();
  await pref.locator('label[for=consent-referral]').click();
  await pref.locator('label[for=consent-contact]').click();
  await pref.fill('#f-given_name', 'Drita');
  await pref.fill('#f-family_name', 'Hoxha');
  await pref.fill('#f-phone', '+39 333 0000000');
  await pref.locator('form[data-busy] button[type=submit]').click();
  await pref.waitForLoadState('networkidle');
  assert.match(await pref.locator('h1').textContent(), /Scheda [A-Z0-9]{3}-[A-Z0-9]{3}/);
  const contactUrl = pref.url();

  // Two needs: an urgent one for a family doctor, an ordinary one for an Italian course.
  for (const [term, urgency] of [
    ['health.primary_care', 'urgent'],
    ['language.courses', 'normal'],
  ]) {
    await pref.selectOption('#f-term', term);
    await pref.locator(`label[for=urgency-${urgency}]`).click();
    await pref.locator('form[action$="/needs"] button[type=submit]').click();
    await pref.waitForLoadState('networkidle');
  }
  assert.equal(await pref.locator('article.need').count(), 2);
  await axeCheck(pref);
  await screenshot(pref, 'desk-contact-it');

  const doctor = await referFirstProposal(pref, 'Medico di base');
  await screenshot(pref, 'desk-referral-sent-it');
  await pref.goto(contactUrl, { waitUntil: 'networkidle' });
  const course = await referFirstProposal(pref, 'Corsi di italiano');

  // The ASL's operator answers from the inbox.
  const asl = await logIn(secondBrowser, 'it', ASL_EMAIL);
  await asl.goto(`${server.url}/it/desk/inbox`, { waitUntil: 'networkidle' });
  await axeCheck(asl);
  await asl.getByRole('link', { name: doctor.serviceName }).first().click();
  await asl.waitForLoadState('networkidle');
  assert.match(await asl.locator('#shared').textContent(), /25-34/);
  assert.doesNotMatch(await asl.content(), /333 0000000/, 'the phone was not shared');
  await axeCheck(asl);
  await asl.locator('form.action-accept button').click();
  await asl.waitForLoadState('networkidle');
  await asl.locator('form.action-start button').click();
  await asl.waitForLoadState('networkidle');
  await asl.selectOption('#code-complete', 'service_provided');
  await asl.fill('#note-complete', 'Medico di famiglia assegnato');
  await asl.locator('form.action-complete button').click();
  await asl.waitForLoadState('networkidle');
  assert.equal(await asl.locator('#state').getAttribute('data-state'), 'completed');
  await screenshot(asl, 'desk-referral-completed-it');

  // The course referral expires unanswered after its deadline.
  await eventually('the course referral to expire', async () => {
    await pref.goto(course.url, { waitUntil: 'networkidle' });
    return (await pref.locator('#state').getAttribute('data-state')) === 'expired';
  });
  assert.match(await pref.locator('#timeline').textContent(), /Sistema/);

  // Both timelines, as the sender sees them.
  await pref.goto(doctor.url, { waitUntil: 'networkidle' });
  const timeline = await pref.locator('#timeline li').allTextContents();
  assert.equal(timeline.length, 4, timeline.join('\n'));
  assert.match(timeline[3], /Servizio erogato.*Medico di famiglia assegnato/);
  await axeCheck(pref);

  // The same in English.
  await pref.goto(doctor.url.replace('/it/', '/en/'), { waitUntil: 'networkidle' });
  assert.match(await pref.locator('#state').textContent(), /Completed/);
  assert.match(await pref.locator('#timeline').textContent(), /Service provided/);
  await pref.goto(course.url.replace('/it/', '/en/'), { waitUntil: 'networkidle' });
  assert.match(await pref.locator('#state').textContent(), /Expired without an answer/);
  await axeCheck(pref);
  await screenshot(pref, 'desk-referral-expired-en');

  // The e-mails: received (to the ASL), answered ×3 and expired (to the Prefettura).
  const arrived = await eventually('the e-mails to arrive', () => {
    const all = mails();
    const toAsl = all.filter((m) => m.includes(`To: ${ASL_EMAIL}`));
    const toPref = all.filter((m) => m.includes(`To: ${PREF_EMAIL}`));
    return toAsl.length >= 1 && toPref.length >= 4 ? { toAsl, toPref } : null;
  });
  assert.match(arrived.toAsl[0], /Subject: Crocevia: nuovo invio ricevuto/);
  assert.ok(arrived.toPref.some((m) => m.includes('Subject: Crocevia: invio scaduto senza risposta')));
  for (const mail of [...arrived.toAsl, ...arrived.toPref]) {
    assert.doesNotMatch(mail, /Drita|Hoxha|333 0000000/, 'no personal data in e-mails');
    assert.match(mail, new RegExp(`${server.url}/it/desk/referrals/`));
  }
  assert.deepEqual(consoleErrors, []);
});
