import { test, expect, type Page } from '@playwright/test';
import { fillSignIn, hydrated, signUpWithOrg, uniqueEmail } from './helpers';
import { PG_APP_B_PORT, PG_APP_PORT } from './ports';

// Two Gatehouse servers, A and B, on one PostgreSQL (started by the harness, playwright.config.ts):
// what one instance writes, the other answers at its next request. A browser's cookie for
// 127.0.0.1 goes to both ports, as it would to two servers behind one load balancer.
const A = `http://127.0.0.1:${PG_APP_PORT}`;
const B = `http://127.0.0.1:${PG_APP_B_PORT}`;

test.use({ baseURL: A });

async function wrongPassword(page: Page, origin: string, email: string, attempt: number) {
  await page.goto(`${origin}/sign-in`);
  await hydrated(page);
  await fillSignIn(page, email, `wrong-password-${attempt}`);
}

test.describe('two instances on one PostgreSQL', () => {
  test('signed in on A is signed in on B; signed out on B is signed out on A at its next request', async ({ page }) => {
    const email = uniqueEmail('two-instances');
    await signUpWithOrg(page, email);
    await page.goto(`${A}/dashboard`);
    await expect(page.getByTestId('user-email')).toHaveText(email);

    await page.goto(`${B}/dashboard`);
    await expect(page.getByTestId('user-email')).toHaveText(email);
    await hydrated(page);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).not.toHaveURL(/\/dashboard$/);

    await page.goto(`${A}/dashboard`);
    await expect(page).toHaveURL(/\/sign-in\?redirect_url=%2Fdashboard$/);
  });

  test('ten wrong passwords split over A and B lock the account on both', async ({ page, browser }) => {
    const email = uniqueEmail('locked-two');
    const other = await browser.newContext({ baseURL: A });
    await signUpWithOrg(await other.newPage(), email);
    await other.close();

    for (let attempt = 1; attempt <= 10; attempt++) {
      await wrongPassword(page, attempt % 2 ? A : B, email, attempt);
      if (attempt < 10) {
        await expect(page.locator('#field-password-error')).toHaveText('Password is incorrect. Try again, or use another method.');
      }
    }
    await expect(page.getByRole('alert')).toContainText('Your account is locked.');
    // Locked on both: the right password is refused on A and on B.
    for (const origin of [A, B]) {
      await page.goto(`${origin}/sign-in`);
      await hydrated(page);
      await fillSignIn(page, email);
      await expect(page.getByRole('alert')).toContainText('Your account is locked.');
      await expect(page).toHaveURL(/\/sign-in/);
    }
  });

  test('a rate limit spent on A answers 429 on B', async ({ request }) => {
    const post = (origin: string) =>
      request.post(`${origin}/api/auth/sign_in_resend_code`, {
        form: {},
        headers: { Accept: 'application/json', Origin: origin },
        maxRedirects: 0,
      });
    // The instances allow 40 posts per endpoint and address in a window (playwright.config.ts).
    const onA = await Promise.all(Array.from({ length: 45 }, () => post(A)));
    expect(onA.filter((reply) => reply.status() === 429).length).toBeGreaterThanOrEqual(5);
    const onB = await post(B);
    expect(onB.status()).toBe(429);
    expect((await onB.json()).errors[0].code).toBe('too_many_requests');
  });
});
