import { test, expect, type Browser, type Page } from '@playwright/test';
import { fillSignIn, hydrated, latestCode, mailsFor, PASSWORD, signUpWithOrg, uniqueEmail } from './helpers';
import { TRUST_APP_PORT } from './ports';

const NEW_PASSWORD = 'a-brand-new-secret';

/** Creates an account in a browser context of its own, left signed in; returns that context. */
async function accountElsewhere(browser: Browser, email: string, baseURL?: string) {
  const context = await browser.newContext({ javaScriptEnabled: true, ...(baseURL ? { baseURL } : {}) });
  await signUpWithOrg(await context.newPage(), email);
  return context;
}

/** From the sign-in page: "Forgot password?" → code from the mail → "Set new password". */
async function resetPassword(page: Page, email: string, js: boolean): Promise<void> {
  const before = (await mailsFor(email)).length;
  await page.goto('/sign-in?redirect_url=%2Fdashboard');
  if (js) await hydrated(page);
  await page.getByLabel('Email address').fill(email);
  await page.getByRole('button', { name: 'Forgot password?' }).click();
  await expect(page).toHaveURL(/\/sign-in\/factor-one\?redirect_url=%2Fdashboard$/);
  await expect(page.getByRole('heading', { name: 'Check your email' })).toBeVisible();
  const code = await latestCode(email, before);
  await page.getByLabel('Verification code').fill(code);
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
  await expect(page).toHaveURL(/\/sign-in\/reset-password/);
  await expect(page.getByRole('heading', { name: 'Set new password' })).toBeVisible();
  await expect(page.getByLabel('Sign out of all other devices')).toBeChecked();
  await page.getByLabel('New password').fill(NEW_PASSWORD);
  await page.getByLabel('Confirm password').fill('not-the-same-password');
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
  await expect(page.locator('#field-confirm_password-error')).toHaveText("Passwords don't match.");
  await page.getByLabel('New password').fill(NEW_PASSWORD);
  await page.getByLabel('Confirm password').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId('user-email')).toHaveText(email);
}

for (const js of [true, false]) {
  test.describe(`forgot password (JavaScript ${js ? 'on' : 'off'})`, () => {
    test.use({ javaScriptEnabled: js });

    test('code by email, a new password, and the other signed-in browser is signed out', async ({ page, browser }) => {
      const email = uniqueEmail(js ? 'forgot' : 'forgot-nojs');
      const other = await accountElsewhere(browser, email);
      const otherPage = await other.newPage();
      await otherPage.goto('/dashboard');
      await expect(otherPage.getByRole('heading', { name: 'Dashboard' })).toBeVisible();

      await resetPassword(page, email, js);

      // "Sign out of all other devices" was checked: the other browser is signed out.
      await otherPage.goto('/dashboard');
      await expect(otherPage).toHaveURL(/\/sign-in\?redirect_url=%2Fdashboard$/);
      await other.close();
      // The new password works; the old one no longer does.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.goto('/sign-in');
      await fillSignIn(page, email, PASSWORD);
      await expect(page.locator('#field-password-error')).toHaveText('Password is incorrect. Try again, or use another method.');
      await fillSignIn(page, email, NEW_PASSWORD);
      await expect(page).toHaveURL(/\/dashboard$/);
    });
  });
}

test('forgot password for an email without an account shows the same screens', async ({ page }) => {
  const email = uniqueEmail('nobody');
  await page.goto('/sign-in');
  await hydrated(page);
  await page.getByLabel('Email address').fill(email);
  await page.getByRole('button', { name: 'Forgot password?' }).click();
  await expect(page).toHaveURL(/\/sign-in\/factor-one/);
  await expect(page.getByRole('heading', { name: 'Check your email' })).toBeVisible();
  await page.getByLabel('Verification code').fill('123456');
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
  await expect(page.locator('#field-code-error')).toHaveText('Incorrect code');
  expect(await mailsFor(email)).toHaveLength(0);
});

for (const js of [true, false]) {
  test.describe(`client trust (JavaScript ${js ? 'on' : 'off'})`, () => {
    test.use({ baseURL: `http://127.0.0.1:${TRUST_APP_PORT}`, javaScriptEnabled: js });

    test('a new browser confirms an emailed code once; afterwards it signs in without one', async ({ page, browser }) => {
      const email = uniqueEmail(js ? 'trust' : 'trust-nojs');
      (await accountElsewhere(browser, email, `http://127.0.0.1:${TRUST_APP_PORT}`)).close();

      const before = (await mailsFor(email)).length;
      await page.goto('/sign-in?redirect_url=%2Fdashboard');
      if (js) await hydrated(page);
      await fillSignIn(page, email);
      await expect(page).toHaveURL(/\/sign-in\/client-trust\?redirect_url=%2Fdashboard$/);
      await expect(page.getByRole('heading', { name: 'Check your email' })).toBeVisible();
      await expect(page.getByText("You're signing in from a new device.")).toBeVisible();
      const code = await latestCode(email, before);
      // A reload mid-step shows a working step.
      await page.reload();
      await page.getByLabel('Verification code').fill(code);
      await page.getByRole('button', { name: 'Continue', exact: true }).click();
      await expect(page).toHaveURL(/\/dashboard$/);

      await page.getByRole('button', { name: 'Sign out' }).click();
      await expect(page).toHaveURL(/\/$/);
      const mails = (await mailsFor(email)).length;
      await page.goto('/sign-in');
      if (js) await hydrated(page);
      await fillSignIn(page, email);
      await expect(page).toHaveURL(/\/dashboard$/);
      expect(await mailsFor(email)).toHaveLength(mails);
    });
  });
}

test.describe('rate limits', () => {
  // This instance allows 100 posts a minute per address and endpoint (playwright.config.ts).
  test.use({ baseURL: `http://127.0.0.1:${TRUST_APP_PORT}` });

  test('150 rapid posts to /api/auth/sso from one address: the rest get 429 with Retry-After', async ({ request }) => {
    const replies = await Promise.all(
      Array.from({ length: 150 }, () =>
        request.post('/api/auth/sso', {
          form: { strategy: 'oauth_testidp' },
          headers: { Accept: 'application/json' },
          maxRedirects: 0,
        }),
      ),
    );
    const limited = replies.filter((reply) => reply.status() === 429);
    expect(limited.length).toBeGreaterThanOrEqual(50);
    expect(Number(limited[0].headers()['retry-after'])).toBeGreaterThan(0);
    expect((await limited[0].json()).errors[0].code).toBe('too_many_requests');
  });
});
