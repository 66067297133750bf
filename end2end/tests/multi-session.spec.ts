import { expect, test, type Browser, type Page } from '@playwright/test';
import { fillSignIn, hydrated, PASSWORD, signUpWithOrg, uniqueEmail } from './helpers';

// Several accounts in one browser (the demo turns `sessions.multi_session` on): `<UserButton/>`
// in the header adds accounts, switches between them and signs out of one or all; every tab
// of the browser follows.

/** Creates a user with an organization in a browser of its own, and closes it. */
async function newUser(browser: Browser, tag: string, js = true): Promise<{ email: string; slug: string }> {
  const context = await browser.newContext({ javaScriptEnabled: js });
  const page = await context.newPage();
  const email = uniqueEmail(tag);
  const org = await signUpWithOrg(page, email, { js });
  await context.close();
  return { email, slug: org.slug };
}

async function openUserMenu(page: Page): Promise<void> {
  await page.getByLabel('Open user menu').click();
  await expect(page.locator('.user-menu')).toBeVisible();
}

/** "Add account" from the user menu: signs `email` in on this browser. */
async function addAccount(page: Page, email: string, password = PASSWORD): Promise<void> {
  await openUserMenu(page);
  await page.getByRole('link', { name: 'Add account' }).click();
  await expect(page).toHaveURL(/\/sign-in/);
  await fillSignIn(page, email, password);
  await expect(page).toHaveURL(/\/dashboard$/);
}

async function switchTo(page: Page, email: string): Promise<void> {
  await openUserMenu(page);
  await page.getByRole('button', { name: `Switch to ${email}` }).click();
}

/** The Auth object the dashboard shows (what `use_auth()` gives). */
async function authOnPage(page: Page): Promise<{ userId: string; orgSlug: string; sessionId: string }> {
  return JSON.parse((await page.getByTestId('auth-object').textContent()) ?? '{}');
}

test.describe('several accounts in one browser', () => {
  test('add an account, switch back and forth with the Auth on the page updating, sign out one then all', async ({ page, browser }) => {
    const ada = await newUser(browser, 'multi-ada');
    const bob = await newUser(browser, 'multi-bob');

    await page.goto('/sign-in');
    await hydrated(page);
    await fillSignIn(page, ada.email);
    await expect(page).toHaveURL(/\/dashboard$/);
    const adaAuth = await authOnPage(page);
    expect(adaAuth.orgSlug).toBe(ada.slug);

    await addAccount(page, bob.email);
    await expect(page.getByTestId('user-email')).toHaveText(bob.email);
    const bobAuth = await authOnPage(page);
    expect(bobAuth.orgSlug).toBe(bob.slug);
    expect(bobAuth.sessionId).not.toBe(adaAuth.sessionId);

    // Switch to Ada and back: the same page, its Auth object following, no reload.
    await switchTo(page, ada.email);
    await expect(page).toHaveURL(/\/dashboard$/);
    await expect(page.getByTestId('user-email')).toHaveText(ada.email);
    await expect(page.getByTestId('org-slug')).toHaveText(ada.slug);
    expect(await authOnPage(page)).toMatchObject({ userId: adaAuth.userId, sessionId: adaAuth.sessionId });
    expect((await (await page.request.get('/api/me')).json()).userId).toBe(adaAuth.userId);
    await switchTo(page, bob.email);
    await expect(page.getByTestId('user-email')).toHaveText(bob.email);
    await expect(page.getByTestId('org-slug')).toHaveText(bob.slug);

    // Signing Ada in again activates her session (identifier_already_signed_in): no duplicate.
    await page.goto('/sign-in');
    await hydrated(page);
    await fillSignIn(page, ada.email, 'any-password-at-all');
    await expect(page).toHaveURL(/\/dashboard$/);
    expect(await authOnPage(page)).toMatchObject({ sessionId: adaAuth.sessionId });
    await openUserMenu(page);
    await expect(page.locator('.other-sessions li')).toHaveCount(1);
    await expect(page.getByRole('button', { name: `Switch to ${bob.email}` })).toBeVisible();

    // Sign out of the current account (Ada): Bob, the next one, becomes current.
    await page.locator('.user-menu').getByRole('button', { name: 'Sign out', exact: true }).click();
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByTestId('user-email')).toHaveText(bob.email);
    expect((await (await page.request.get('/api/me')).json()).userId).toBe(bobAuth.userId);
    await openUserMenu(page);
    await expect(page.locator('.other-sessions')).toHaveCount(0);

    // Ada again (a password this time: her session ended), then sign out of all accounts.
    await page.goto('/dashboard');
    await hydrated(page);
    await addAccount(page, ada.email);
    await openUserMenu(page);
    await page.getByRole('button', { name: 'Sign out of all accounts' }).click();
    await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();
    expect((await page.request.get('/api/me')).status()).toBe(401);
  });

  test('a session id of another browser is never honoured', async ({ page, browser }) => {
    const ada = await newUser(browser, 'multi-own');
    const elsewhere = await browser.newContext();
    const other = await elsewhere.newPage();
    await other.goto('/sign-in');
    await hydrated(other);
    await fillSignIn(other, ada.email);
    await expect(other).toHaveURL(/\/dashboard$/);
    const foreign = (await authOnPage(other)).sessionId;

    const bob = await newUser(browser, 'multi-own-bob');
    await page.goto('/sign-in');
    await hydrated(page);
    await fillSignIn(page, bob.email);
    await expect(page).toHaveURL(/\/dashboard$/);
    const origin = new URL(page.url()).origin;
    for (const endpoint of ['/api/auth/set_active_session', '/api/auth/sign_out']) {
      const response = await page.request.post(endpoint, {
        form: { session_id: foreign },
        headers: { origin },
      });
      expect(response.status(), endpoint).toBe(404);
    }
    // Nothing changed on either browser.
    expect((await (await page.request.get('/api/me')).json()).userId).toBe((await authOnPage(page)).userId);
    expect((await (await other.request.get('/api/me')).json()).sessionId).toBe(foreign);
    await elsewhere.close();
  });

  test('a second tab follows a switch and a sign-out', async ({ page, browser }) => {
    const ada = await newUser(browser, 'tabs-ada');
    const bob = await newUser(browser, 'tabs-bob');
    await page.goto('/sign-in');
    await hydrated(page);
    await fillSignIn(page, ada.email);
    await expect(page).toHaveURL(/\/dashboard$/);
    await addAccount(page, bob.email);

    const second = await page.context().newPage();
    await second.goto('/dashboard');
    await hydrated(second);
    await expect(second.getByTestId('user-email')).toHaveText(bob.email);

    await switchTo(page, ada.email);
    await expect(page.getByTestId('user-email')).toHaveText(ada.email);
    await expect(second.getByTestId('user-email')).toHaveText(ada.email, { timeout: 2_000 });
    await expect(second.getByTestId('org-slug')).toHaveText(ada.slug, { timeout: 2_000 });

    await page.getByRole('button', { name: 'Sign out', exact: true }).first().click();
    await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();
    // The other tab's protected page notices within 2 seconds and goes to sign-in.
    await expect(second).toHaveURL(/\/sign-in/, { timeout: 2_000 });
    await expect(second.getByRole('link', { name: 'Sign in' })).toBeVisible();
  });
});

test.describe('several accounts without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the user menu adds an account, switches and signs out of one as plain forms', async ({ page, browser }) => {
    const ada = await newUser(browser, 'nojs-ada', false);
    const bob = await newUser(browser, 'nojs-bob', false);
    await page.goto('/sign-in');
    await fillSignIn(page, ada.email);
    await expect(page).toHaveURL(/\/dashboard$/);

    await addAccount(page, bob.email);
    await expect(page.getByTestId('user-email')).toHaveText(bob.email);

    await switchTo(page, ada.email);
    await expect(page).toHaveURL(/\/dashboard$/);
    await expect(page.getByTestId('user-email')).toHaveText(ada.email);
    await expect(page.getByTestId('org-slug')).toHaveText(ada.slug);

    await openUserMenu(page);
    await page.locator('.user-menu').getByRole('button', { name: 'Sign out', exact: true }).click();
    await expect(page.getByTestId('user-email')).toHaveText(bob.email);
  });
});
