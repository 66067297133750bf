import { expect, test } from '@playwright/test';
import { MINIMAL_APP_PORT } from './ports';
import { gatehouseCli, PASSWORD, uniqueEmail } from './helpers';

// examples/minimal: a second Leptos app written only with the kit's public API. A user created
// with the operator CLI signs in on its custom page (`use_sign_in()`), the page and a server
// function (`auth()`) agree, and its verifier-protected route accepts the session's token.

const MINIMAL = `http://127.0.0.1:${MINIMAL_APP_PORT}`;

test('signing in on the minimal app built from the public API', async ({ page, request }) => {
  const email = uniqueEmail('minimal');
  gatehouseCli(['user', 'create', '--email', email, '--password', PASSWORD], 'target/e2e-minimal');

  await page.goto(`${MINIMAL}/private`);
  // The route rule sends a signed-out visitor to the kit's sign-in page.
  await expect(page).toHaveURL(/\/sign-in\?redirect_url=/);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();

  await page.goto(`${MINIMAL}/custom-sign-in`);
  await expect(page.locator('main')).toHaveAttribute('data-hydrated', 'true');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('greeting')).toHaveText(`Signed in as ${email}`);
  await expect(page.getByTestId('from-server')).toHaveText(/^server: signed in as user_/);

  await page.getByRole('button', { name: 'Get token' }).click();
  await expect(page.getByTestId('token')).toHaveText(/^ey/);
  const token = (await page.getByTestId('token').textContent()) ?? '';
  const hello = await request.get(`${MINIMAL}/api/hello`, { headers: { Authorization: `Bearer ${token}` } });
  expect(hello.status()).toBe(200);
  expect(await hello.text()).toMatch(/^hello user_/);
  expect((await request.get(`${MINIMAL}/api/hello`)).status()).toBe(401);

  await page.goto(`${MINIMAL}/private`);
  await expect(page.getByRole('heading', { name: 'Private' })).toBeVisible();
});

test('the minimal app\'s custom sign-in page works without JavaScript', async ({ browser }) => {
  const email = uniqueEmail('minimal-nojs');
  gatehouseCli(['user', 'create', '--email', email, '--password', PASSWORD], 'target/e2e-minimal');
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${MINIMAL}/custom-sign-in`);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(`${MINIMAL}/`);
  await expect(page.getByTestId('greeting')).toHaveText(`Signed in as ${email}`);
  await context.close();
});
