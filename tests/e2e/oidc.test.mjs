// Login to the back office through a real OpenID Connect provider (npm `oidc-provider`, its
// development login and consent pages) on loopback: an identity whose verified e-mail matches
// an account lands in the back office, and stays linked when its e-mail changes; an identity
// without an account gets the page that says an administrator must create it first.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';

import Provider from 'oidc-provider';

import { axeCheck, launchBrowser, recordConsoleErrors, screenshot } from './lib/browser.mjs';
import { createUser, startServer } from './lib/server.mjs';

const CLIENT_ID = 'crocevia-e2e';
const CLIENT_SECRET = 'a-client-secret-for-the-e2e-test-only';
const ACCOUNT_EMAIL = 'oidc-editor@crocevia.example';

let providerServer;
let issuer;
let server;
let browser;
/** The e-mail the provider gives for a login name; changed by a test. */
const emails = new Map([['oidc-editor', ACCOUNT_EMAIL]]);


before(async () => {
  // The provider's socket first: its address is the issuer the server is configured with, and
  // the server's address is the redirect URI the provider's client is registered with.
  let handler = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  providerServer = http.createServer((req, res) => handler(req, res));
  await new Promise((resolve) => providerServer.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${providerServer.address().port}`;

  server = await startServer({
    env: {
      CROCEVIA_OIDC_ISSUER: issuer,
      CROCEVIA_OIDC_CLIENT_ID: CLIENT_ID,
      CROCEVIA_OIDC_CLIENT_SECRET: CLIENT_SECRET,
      CROCEVIA_OIDC_DISPLAY_NAME: 'SPID/CIE',
    },
  });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [`${server.url}/auth/oidc/callback`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    cookies: { keys: ['a-cookie-key-for-the-e2e-test-only'] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    features: { devInteractions: { enabled: true } },
    pkce: { required: () => true },
    ttl: { AccessToken: 600, AuthorizationCode: 60, Grant: 600, IdToken: 600, Interaction: 600, Session: 600 },
    async findAccount(_ctx, sub) {
      return {
        accountId: sub,
        async claims() {
          return { sub, email: emails.get(sub) ?? `${sub}@example.org`, email_verified: true, name: sub };
        },
      };
    },
  });
  handler = provider.callback();

  const organizations = (await (await fetch(`${server.url}/api/hsds/organizations?per_page=1`)).json()).contents;
  createUser(server, organizations[0].id, ACCOUNT_EMAIL, 'editor');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await new Promise((resolve) => (providerServer ? providerServer.close(resolve) : resolve()));
});

/** From our login page, through the provider's login (and consent) pages, back to us. */
async function signInThroughProvider(page, lang, login) {
  await page.context().clearCookies();
  await page.goto(`${server.url}/${lang}/login`, { waitUntil: 'networkidle' });
  await axeCheck(page);
  const button = page.locator('#oidc-login');
  assert.equal((await button.textContent()).trim(), lang === 'it' ? 'Accedi con SPID/CIE' : 'Sign in with SPID/CIE');
  await button.click();
  await page.waitForSelector('input[name=login]');
  assert.ok(!page.url().startsWith(server.url), 'the browser is at the provider');
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', 'any password');
  await page.locator('button[type=submit]').click();
  await page.waitForLoadState('networkidle');
  if (!page.url().startsWith(server.url)) {
    // The provider's consent page.
    await page.locator('input[name=prompt][value=consent] ~ button[type=submit]').click();
    await page.waitForLoadState('networkidle');
  }
  assert.ok(page.url().startsWith(server.url), `back at Crocevia: ${page.url()}`);
}

test('an identity whose verified e-mail matches an account signs in, and stays linked', async () => {
  const page = await browser.newPage();
  const errors = recordConsoleErrors(page);
  await signInThroughProvider(page, 'it', 'oidc-editor');
  assert.equal(new URL(page.url()).pathname, '/it/backoffice');
  await page.waitForSelector('h1');
  assert.equal((await page.locator('h1').first().textContent()).trim(), 'I servizi della mia organizzazione');
  await axeCheck(page);
  await screenshot(page, 'oidc-backoffice-it');

  // The second time the link (issuer + subject) finds the account, whatever the e-mail says.
  emails.set('oidc-editor', 'nuovo-indirizzo@example.org');
  await signInThroughProvider(page, 'it', 'oidc-editor');
  assert.equal(new URL(page.url()).pathname, '/it/backoffice');
  // The provider's development pages load a web font from the internet and have no favicon:
  // only our own pages must be free of errors.
  const ours = errors.filter((e) => !e.includes(issuer) && !e.includes('fonts.googleapis.com'));
  assert.deepEqual(ours, []);
  await page.close();
});

test('an identity without an account is told to ask an administrator', async () => {
  const page = await browser.newPage();
  await signInThroughProvider(page, 'en', 'stranger');
  assert.equal(new URL(page.url()).pathname, '/auth/oidc/callback');
  const message = page.locator('#oidc-error');
  assert.equal(await message.getAttribute('data-error-code'), 'oidc_no_account');
  assert.match(await message.textContent(), /ask them to create an account/);
  assert.match(await page.content(), /stranger@example\.org/);
  await axeCheck(page);
  await screenshot(page, 'oidc-no-account-en');
  // Not signed in: the back office still asks for a login.
  await page.goto(`${server.url}/en/backoffice`, { waitUntil: 'networkidle' });
  assert.equal(new URL(page.url()).pathname, '/en/login');
  await page.close();
});
