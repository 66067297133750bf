import { expect, test, type Page } from '@playwright/test';
import { MINIMAL_APP_PORT, OIDC_PORT } from './ports';
import { fillSignIn, gatehouseCli, PASSWORD, uniqueEmail, uniqueOrg } from './helpers';

// examples/minimal: a second Leptos app written only with the kit's public API. A user created
// with the operator CLI signs in on its custom page (`use_sign_in()`), the page and a server
// function (`auth()`) agree, and its verifier-protected route accepts the session's token.

const MINIMAL = `http://127.0.0.1:${MINIMAL_APP_PORT}`;
const MINIMAL_DIR = 'target/e2e-minimal';

/** Signs `email` in on the minimal app's custom page (JavaScript on); ends on its home page. */
async function signInMinimal(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.goto(`${MINIMAL}/custom-sign-in`);
  await expect(page.locator('main')).toHaveAttribute('data-hydrated', 'true');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('greeting')).toHaveText(`Signed in as ${email}`);
}

/** Sets a marker on the page's window: still there later means the page did not load again. */
async function mark(page: Page): Promise<void> {
  await page.evaluate(() => { (window as unknown as { marker: number }).marker = 42; });
}

async function stillMarked(page: Page): Promise<boolean> {
  return (await page.evaluate(() => (window as unknown as { marker?: number }).marker)) === 42;
}

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

test('in a fully hydrated app a protected change opens the in-place prompt: Cancel changes nothing, the password completes it', async ({ page, browser }) => {
  const email = uniqueEmail('minimal-reverify');
  const newPassword = 'another-horse-battery';
  gatehouseCli(['user', 'create', '--email', email, '--password', PASSWORD], MINIMAL_DIR);
  await signInMinimal(page, email);
  gatehouseCli(['session', 'require-reverification', '--email', email], MINIMAL_DIR);

  await page.goto(`${MINIMAL}/account`);
  await expect(page.locator('main')).toHaveAttribute('data-hydrated', 'true');
  await mark(page);
  await page.getByLabel('New password').fill(newPassword);
  await page.getByLabel('Confirm password').fill(newPassword);
  await page.getByRole('button', { name: 'Update password' }).click();
  const dialog = page.getByRole('dialog', { name: 'Verification required' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByText('The verification was cancelled, so nothing was changed.')).toBeVisible();

  await page.getByRole('button', { name: 'Update password' }).click();
  await expect(dialog).toBeVisible();
  await dialog.getByLabel('Password', { exact: true }).fill('not-my-password');
  await dialog.getByRole('button', { name: 'Continue', exact: true }).click();
  await expect(dialog.getByText('Password is incorrect')).toBeVisible();
  await dialog.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await dialog.getByRole('button', { name: 'Continue', exact: true }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByText('Password updated')).toBeVisible();
  expect(await stillMarked(page)).toBe(true);

  // The new password signs in elsewhere.
  const context = await browser.newContext();
  await signInMinimal(await context.newPage(), email, newPassword);
  await context.close();
});

test('in a fully hydrated app the organization switcher pages and switches in place', async ({ page }) => {
  const email = uniqueEmail('minimal-orgs');
  gatehouseCli(['user', 'create', '--email', email, '--password', PASSWORD], MINIMAL_DIR);
  const orgs = [];
  for (let i = 0; i < 11; i++) {
    const org = uniqueOrg(`Min${i}`);
    gatehouseCli(['org', 'create', '--name', org.name, '--slug', org.slug, '--owner', email], MINIMAL_DIR);
    orgs.push(org);
  }
  await signInMinimal(page, email);
  await mark(page);
  const switcher = page.getByRole('region', { name: 'Organization switcher' });
  await expect(switcher.getByText('Page 1 of 2')).toBeVisible();
  await expect(switcher.locator('.org-choice')).toHaveCount(10);
  await switcher.getByRole('link', { name: 'Next' }).click();
  await expect(switcher.getByText('Page 2 of 2')).toBeVisible();
  const choice = switcher.locator('.org-choice');
  await expect(choice).toHaveCount(1);
  const name = ((await choice.textContent()) ?? '').replace('Switch to ', '');
  const target = orgs.find((org) => org.name === name);
  expect(target).toBeDefined();
  await choice.click();
  await expect(page.getByTestId('org-slug')).toHaveText(target!.slug);
  await expect(choice).toHaveAttribute('aria-pressed', 'true');
  expect(await stillMarked(page)).toBe(true);
  const me = await (await page.request.get(`${MINIMAL}/api/me`)).json();
  expect(me.orgSlug).toBe(target!.slug);
});

test('in a fully hydrated app the SSO callback page written with the hooks signs a new identity up, then in again', async ({ browser }) => {
  const email = uniqueEmail('minimal-sso');
  const viaProvider = async (page: Page): Promise<void> => {
    await page.goto(`${MINIMAL}/sign-in`);
    await expect(page.locator('main')).toHaveAttribute('data-hydrated', 'true');
    await page.getByRole('button', { name: 'Continue with Test IdP' }).click();
    await expect(page).toHaveURL(new RegExp(`^http://127.0.0.1:${OIDC_PORT}/interaction/`));
    await page.getByPlaceholder('Enter any login').fill(email);
    await page.getByPlaceholder('and password').fill('anything');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
  };
  // No account for this identity: the page turns the sign-in into a sign-up (a transfer).
  const first = await browser.newContext();
  const page = await first.newPage();
  await viaProvider(page);
  await expect(page).toHaveURL(`${MINIMAL}/`);
  await expect(page.getByTestId('greeting')).toHaveText(`Signed in as ${email}`);
  const user = (await (await page.request.get(`${MINIMAL}/api/me`)).json()).userId;
  await first.close();

  // The same identity again: a sign-in to the same user.
  const second = await browser.newContext();
  const again = await second.newPage();
  await viaProvider(again);
  await expect(again).toHaveURL(`${MINIMAL}/`);
  await expect(again.getByTestId('greeting')).toHaveText(`Signed in as ${email}`);
  expect((await (await again.request.get(`${MINIMAL}/api/me`)).json()).userId).toBe(user);
  await second.close();
});

test('in a fully hydrated app the user menu adds an account, switches and signs out in place', async ({ page }) => {
  const ada = uniqueEmail('minimal-menu-ada');
  const bob = uniqueEmail('minimal-menu-bob');
  for (const email of [ada, bob]) {
    gatehouseCli(['user', 'create', '--email', email, '--password', PASSWORD], MINIMAL_DIR);
  }
  await signInMinimal(page, ada);
  const menu = page.locator('.user-menu');
  const openMenu = async (): Promise<void> => {
    await page.getByLabel('Open user menu').click();
    await expect(menu).toBeVisible();
  };
  await openMenu();
  await expect(menu.locator('.email')).toHaveText(ada);
  await menu.getByRole('link', { name: 'Add account' }).click();
  await fillSignIn(page, bob);
  await expect(page.getByTestId('greeting')).toHaveText(`Signed in as ${bob}`);

  // Switching and signing out of one account happen in place: the page does not load again.
  await expect(page.locator('main')).toHaveAttribute('data-hydrated', 'true');
  await mark(page);
  await openMenu();
  await menu.getByRole('button', { name: `Switch to ${ada}` }).click();
  await expect(page.getByTestId('greeting')).toHaveText(`Signed in as ${ada}`);
  await expect(menu).toBeHidden(); // closed after the change
  await openMenu();
  await expect(menu.getByRole('button', { name: `Switch to ${bob}` })).toBeVisible();
  await menu.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page.getByTestId('greeting')).toHaveText(`Signed in as ${bob}`);
  expect(await stillMarked(page)).toBe(true);
  expect((await (await page.request.get(`${MINIMAL}/api/me`)).json()).sessionId).toMatch(/^sess_/);

  // The last account: no one to switch to; signing out leaves the browser signed out.
  await openMenu();
  await expect(menu.locator('.other-sessions')).toHaveCount(0);
  await menu.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page.getByText('You are signed out.')).toBeVisible();
  await expect(page.getByLabel('Open user menu')).toHaveCount(0);
  expect(await stillMarked(page)).toBe(true);
  expect((await page.request.get(`${MINIMAL}/api/me`)).status()).toBe(401);
});
