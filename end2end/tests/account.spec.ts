import { expect, test, type Browser, type Page } from '@playwright/test';
import { createOrganization, fillSignIn, gatehouseCli, hydrated, latestCode, mailsFor, PASSWORD, signUpWithOrg, totp, uniqueEmail, uniqueOrg } from './helpers';
import { OIDC_PORT } from './ports';

// The account page (`<UserProfile/>`) and reverification. A session just signed in is fresh for
// the demo's `strict` requirement (10 minutes); `gatehouse session require-reverification`
// makes it stale, as time would. The demo renders this page on the server (it is not an
// island), so with JavaScript or without, a protected change comes back asking to re-verify
// on the page; the in-place prompt of `use_reverification` is driven in minimal.spec.ts.

const NEW_PASSWORD = 'another-horse-battery';

/** Signs in as `email` in a fresh browser context; returns the page on the dashboard. */
async function signInElsewhere(browser: Browser, email: string, password = PASSWORD): Promise<Page> {
  const context = await browser.newContext({ javaScriptEnabled: true });
  const page = await context.newPage();
  await page.goto('/sign-in');
  await hydrated(page);
  await fillSignIn(page, email, password);
  await expect(page).toHaveURL(/\/dashboard$/);
  return page;
}

/** Signs a new user up through SSO (no password) in `page`'s browser; returns the email. */
async function ssoOnlyUser(page: Page): Promise<string> {
  const provider = `http://127.0.0.1:${OIDC_PORT}`;
  const email = uniqueEmail('acct-sso');
  await page.goto('/sign-up');
  await hydrated(page);
  await page.getByRole('button', { name: 'Continue with Test IdP' }).click();
  await expect(page).toHaveURL(new RegExp(`^${provider}/interaction/`));
  await page.getByPlaceholder('Enter any login').fill(email);
  await page.getByPlaceholder('and password').fill('anything');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
  await createOrganization(page, uniqueOrg('AcctSso'));
  await expect(page).toHaveURL(/\/dashboard$/);
  return email;
}

async function fillNewPassword(page: Page): Promise<void> {
  await page.getByLabel('New password').fill(NEW_PASSWORD);
  await page.getByLabel('Confirm password').fill(NEW_PASSWORD);
}

/** The mail to `address` with this subject (sent in the background). */
async function mailWithSubject(address: string, subject: string) {
  let found: Awaited<ReturnType<typeof mailsFor>>[number] | undefined;
  await expect
    .poll(async () => {
      found = (await mailsFor(address)).find((mail) => mail.subject === subject);
      return found !== undefined;
    }, { timeout: 15_000 })
    .toBe(true);
  return found!;
}

test.describe('account page', () => {
  test('a stale session can neither enrol its own authenticator nor change the password; the owner keeps both', async ({ page, browser }) => {
    // An unattended browser, a stolen cookie: the session's factors are old.
    const email = uniqueEmail('acct-stale');
    await signUpWithOrg(page, email);
    gatehouseCli(['session', 'require-reverification', '--email', email]);
    // What an attacker's script sends with the cookie: every step of enrolling is refused.
    for (const [path, form] of [
      ['/api/auth/start_mfa_setup', {}],
      ['/api/auth/verify_mfa_setup', { code: '123456' }],
      ['/api/auth/change_password', { new_password: NEW_PASSWORD, confirm_password: NEW_PASSWORD }],
    ] as const) {
      const reply = await page.request.post(path, { form, headers: { Accept: 'application/json' } });
      expect(reply.status(), path).toBe(403);
      expect((await reply.json()).clerk_error.reason, path).toBe('reverification-error');
    }
    // On the page, "Add authenticator app" asks for the password before any QR code.
    await page.goto('/account');
    await hydrated(page);
    const section = page.getByRole('region', { name: 'Two-step verification' });
    await section.getByRole('button', { name: 'Add authenticator app' }).click();
    await expect(page.getByText("Verification required: confirm it's you, then submit again.")).toBeVisible();
    await expect(section.getByRole('img', { name: 'QR code for your authenticator app' })).toHaveCount(0);
    // The owner still signs in with the old password, and no second factor is asked for.
    const owner = await signInElsewhere(browser, email);
    await owner.context().close();
  });

  test('change password: the page asks for the password, refuses a wrong one next to its field, then changes it', async ({ page, browser }) => {
    const email = uniqueEmail('acct-pw');
    await signUpWithOrg(page, email);
    const other = await signInElsewhere(browser, email);
    gatehouseCli(['session', 'require-reverification', '--email', email]);

    await page.goto('/account');
    await hydrated(page);
    await fillNewPassword(page);
    await page.getByRole('button', { name: 'Update password' }).click();
    await expect(page.getByText("Verification required: confirm it's you, then submit again.")).toBeVisible();
    expect((await other.request.get('/api/me')).status()).toBe(200);

    await fillNewPassword(page);
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill('not-my-password');
    await page.getByRole('button', { name: 'Update password' }).click();
    await expect(page.getByText('Password is incorrect. Try again, or use another method.')).toBeVisible();
    await expect(page.getByText("Verification required: confirm it's you, then submit again.")).toBeVisible();
    expect((await other.request.get('/api/me')).status()).toBe(200);

    await fillNewPassword(page);
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Update password' }).click();
    await expect(page.getByText('Password updated')).toBeVisible();
    await expect(page.getByText('Verification required')).toHaveCount(0);
    // The result line is shown once: it is gone on the next visit.
    await page.goto('/account');
    await expect(page.getByRole('heading', { name: 'Account', exact: true })).toBeVisible();
    await expect(page.getByText('Password updated')).toHaveCount(0);

    // "Sign out of all other devices" was checked: the other browser is signed out.
    expect((await other.request.get('/api/me')).status()).toBe(401);
    await other.context().close();
    // The new password signs in; this session stays.
    expect((await page.request.get('/api/me')).status()).toBe(200);
    const again = await signInElsewhere(browser, email, NEW_PASSWORD);
    await again.context().close();
  });

  test('delete account: signed out, no cookie left, and the email no longer signs in', async ({ page }) => {
    const email = uniqueEmail('acct-delete');
    await signUpWithOrg(page, email);
    await page.goto('/account');
    await hydrated(page);
    await page.getByLabel('Type "Delete account" to confirm').fill('Delete account');
    await page.getByRole('button', { name: 'Delete account' }).click();
    await expect(page).toHaveURL(/\/$/);
    expect((await page.request.get('/api/me')).status()).toBe(401);
    const cookies = await page.context().cookies();
    expect(cookies.filter((c) => c.name.includes('gatehouse_client'))).toEqual([]);
    await page.goto('/sign-in');
    await hydrated(page);
    await fillSignIn(page, email);
    await expect(page.getByText('Password is incorrect. Try again, or use another method.')).toBeVisible();
  });

  test('two-step verification: add an authenticator app, sign in with it, regenerate backup codes, remove it', async ({ page, browser }) => {
    const email = uniqueEmail('acct-mfa');
    await signUpWithOrg(page, email);
    gatehouseCli(['session', 'require-reverification', '--email', email]);
    await page.goto('/account');
    await hydrated(page);
    const section = page.getByRole('region', { name: 'Two-step verification' });
    await expect(section.getByTestId('two-step-status')).toContainText('Two-step verification is off');

    // Adding asks for the password first (no second factor yet), then shows the QR code.
    await section.getByRole('button', { name: 'Add authenticator app' }).click();
    await section.getByRole('textbox', { name: 'Password', exact: true }).fill(PASSWORD);
    await section.getByRole('button', { name: 'Add authenticator app' }).click();
    await expect(section.getByRole('img', { name: 'QR code for your authenticator app' })).toBeVisible();
    await expect(section.getByText('Scan the QR code', { exact: true })).toBeVisible();
    const secret = (await section.getByTestId('totp-secret').textContent()) ?? '';
    await section.getByLabel('Authentication code').fill('000000');
    await section.getByRole('button', { name: 'Verify' }).click();
    await expect(section.getByText('Incorrect code')).toBeVisible();
    await section.getByLabel('Authentication code').fill(totp(secret));
    await section.getByRole('button', { name: 'Verify' }).click();
    await expect(section.getByTestId('backup-codes').locator('li')).toHaveCount(10);
    const firstCodes = await section.getByTestId('backup-codes').locator('li').allTextContents();
    await section.getByRole('button', { name: "I've saved these codes" }).click();
    await expect(section.getByTestId('two-step-status')).toContainText('Authenticator app: on. 10 backup codes left.');
    // The owner is told, with the time and the browser.
    const notice = await mailWithSubject(email, 'Two-step verification was turned on');
    expect(notice.text).toContain('When: ');
    expect(notice.text).toMatch(/Browser: Chrome on Linux/);

    // Signing in again now asks for the app's code.
    const context = await browser.newContext();
    const other = await context.newPage();
    await other.goto('/sign-in');
    await hydrated(other);
    await fillSignIn(other, email);
    await expect(other).toHaveURL(/\/sign-in\/factor-two/);
    await other.getByLabel('Authentication code').fill(totp(secret, Date.now() + 30_000));
    await other.getByRole('button', { name: 'Continue', exact: true }).click();
    await expect(other).toHaveURL(/\/dashboard$/);
    await context.close();

    // New backup codes replace the old ones. Enrolling never counts as verifying the new factor
    // (only a sign-in or the prompt does), so the page asks for it first: a backup code is one.
    const twoStepForm = section.locator('form', { has: page.getByRole('button', { name: 'Regenerate backup codes' }) });
    await twoStepForm.getByRole('button', { name: 'Regenerate backup codes' }).click();
    await expect(page.getByText("Verification required: confirm it's you, then submit again.")).toBeVisible();
    await twoStepForm.getByLabel('Authentication code').fill(firstCodes[1]);
    await twoStepForm.getByRole('button', { name: 'Regenerate backup codes' }).click();
    await expect(section.getByTestId('backup-codes').locator('li')).toHaveCount(10);
    const newCodes = await section.getByTestId('backup-codes').locator('li').allTextContents();
    expect(newCodes.some((code) => firstCodes.includes(code))).toBe(false);
    await section.getByRole('button', { name: "I've saved these codes" }).click();
    await expect(section.getByTestId('backup-codes')).toHaveCount(0);

    // Removing, once stale, asks for the second factor (a backup code is one): an old backup
    // code is refused next to the field, a new one works.
    gatehouseCli(['session', 'require-reverification', '--email', email]);
    await page.goto('/account');
    await hydrated(page);
    const removeForm = section.locator('form', { has: page.getByRole('button', { name: 'Remove authenticator app' }) });
    await removeForm.getByRole('button', { name: 'Remove authenticator app' }).click();
    await removeForm.getByLabel('Authentication code').fill(firstCodes[0]);
    await removeForm.getByRole('button', { name: 'Remove authenticator app' }).click();
    await expect(removeForm.getByText('Incorrect code')).toBeVisible();
    await removeForm.getByLabel('Authentication code').fill(newCodes[0]);
    await removeForm.getByRole('button', { name: 'Remove authenticator app' }).click();
    await expect(section.getByText('Authenticator app removed')).toBeVisible();
    await expect(section.getByTestId('two-step-status')).toContainText('Two-step verification is off');
    const again = await signInElsewhere(browser, email);
    await again.context().close();
  });

  test('active devices: every signed-in browser is listed, and another one can be signed out', async ({ page, browser }) => {
    const email = uniqueEmail('acct-devices');
    await signUpWithOrg(page, email);
    const other = await signInElsewhere(browser, email);
    await page.goto('/account');
    await hydrated(page);
    const section = page.getByRole('region', { name: 'Active devices' });
    const devices = section.getByTestId('device');
    await expect(devices).toHaveCount(2);
    const current = devices.filter({ hasText: 'This device' });
    await expect(current).toHaveCount(1);
    await expect(current).toContainText('Chrome on Linux');
    await expect(current.getByRole('button')).toHaveCount(0);
    const elsewhere = devices.filter({ hasNotText: 'This device' });
    await expect(elsewhere).toContainText('127.0.0.1');
    await expect(elsewhere).toContainText('Last active just now');

    await elsewhere.getByRole('button', { name: 'Sign out of Chrome on Linux' }).click();
    await expect(section.getByText('Device signed out')).toBeVisible();
    await expect(devices).toHaveCount(1);
    // The other browser is signed out on its next request; this one is not.
    expect((await other.request.get('/api/me')).status()).toBe(401);
    expect((await page.request.get('/api/me')).status()).toBe(200);
    await other.context().close();
  });

  test('connected accounts: listed, and removable except the last way to sign in', async ({ page }) => {
    // An SSO-only user (no password): the link is their only way in.
    const ssoEmail = await ssoOnlyUser(page);

    await page.goto('/account');
    await hydrated(page);
    const row = page.getByTestId('external-account');
    await expect(row).toHaveCount(1);
    await expect(row).toContainText('Test IdP');
    await expect(row).toContainText(ssoEmail);
    await row.getByRole('button', { name: 'Remove Test IdP account' }).click();
    await expect(page.getByText('You cannot remove your only way to sign in.')).toBeVisible();
    await expect(row).toHaveCount(1);

    // With a password set, the link can go.
    await fillNewPassword(page);
    await page.getByRole('button', { name: 'Set password' }).click();
    await expect(page.getByText('Password updated')).toBeVisible();
    await row.getByRole('button', { name: 'Remove Test IdP account' }).click();
    await expect(page.getByText('Connection removed')).toBeVisible();
    await expect(page.getByTestId('external-account')).toHaveCount(0);
  });
});

test.describe('reverification without a password', () => {
  test('an SSO-only user re-verifies with the code the refusal emailed; a wrong one is refused next to its field', async ({ page, browser }) => {
    const email = await ssoOnlyUser(page);
    gatehouseCli(['session', 'require-reverification', '--email', email]);
    await page.goto('/account');
    await hydrated(page);
    await fillNewPassword(page);
    await page.getByRole('button', { name: 'Set password' }).click();
    await expect(page.getByText('We emailed you a verification code.')).toBeVisible();
    const code = await latestCode(email);
    await fillNewPassword(page);
    await page.getByRole('textbox', { name: 'Verification code' }).fill(code === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Set password' }).click();
    await expect(page.getByText('Incorrect code')).toBeVisible();
    await expect(page.getByText('We emailed you a verification code.')).toBeVisible();
    await fillNewPassword(page);
    await page.getByRole('textbox', { name: 'Verification code' }).fill(code);
    await page.getByRole('button', { name: 'Set password' }).click();
    await expect(page.getByText('Password updated')).toBeVisible();
    const again = await signInElsewhere(browser, email, NEW_PASSWORD);
    await again.context().close();
  });

  test('without JavaScript the refused form comes back asking for the code it emailed', async ({ browser }) => {
    const withJs = await browser.newContext();
    const email = await ssoOnlyUser(await withJs.newPage());
    const context = await browser.newContext({ javaScriptEnabled: false });
    await context.addCookies(await withJs.cookies());
    await withJs.close();
    const page = await context.newPage();
    gatehouseCli(['session', 'require-reverification', '--email', email]);
    await page.goto('/account');
    await fillNewPassword(page);
    await page.getByRole('button', { name: 'Set password' }).click();
    await expect(page.getByText('We emailed you a verification code.')).toBeVisible();
    const code = await latestCode(email);
    await fillNewPassword(page);
    await page.getByRole('textbox', { name: 'Verification code' }).fill(code);
    await page.getByRole('button', { name: 'Set password' }).click();
    await expect(page).toHaveURL(/\/account/);
    await expect(page.getByText('Verification required')).toHaveCount(0);
    const again = await signInElsewhere(browser, email, NEW_PASSWORD);
    await again.context().close();
    await context.close();
  });
});

test.describe('account page without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('a protected change answers with a page asking for the password, then performs it', async ({ page, browser }) => {
    const email = uniqueEmail('acct-nojs');
    await signUpWithOrg(page, email, { js: false });
    gatehouseCli(['session', 'require-reverification', '--email', email]);
    await page.goto('/account');
    await fillNewPassword(page);
    await page.getByRole('button', { name: 'Update password' }).click();
    await expect(page.getByText("Verification required: confirm it's you, then submit again.")).toBeVisible();
    await fillNewPassword(page);
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Update password' }).click();
    await expect(page).toHaveURL(/\/account/);
    await expect(page.getByText('Verification required')).toHaveCount(0);
    const again = await signInElsewhere(browser, email, NEW_PASSWORD);
    await again.context().close();
  });

  test('a refused plain form comes back with its error next to the field, and nothing changed', async ({ page }) => {
    const email = uniqueEmail('acct-name-nojs');
    await signUpWithOrg(page, email, { js: false });
    await page.goto('/account');
    await page.getByLabel('First name').fill('x'.repeat(300));
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(page).toHaveURL(/\/account/);
    await expect(page.getByText(/This field must be at most \d+ characters long\./)).toBeVisible();
    await page.goto('/account');
    await expect(page.getByLabel('First name')).toHaveValue('');
  });

  test('an authenticator app is added as plain forms: the QR code, then its code, then the backup codes', async ({ page }) => {
    const email = uniqueEmail('acct-mfa-nojs');
    await signUpWithOrg(page, email, { js: false });
    await page.goto('/account');
    const section = page.getByRole('region', { name: 'Two-step verification' });
    await section.getByRole('button', { name: 'Add authenticator app' }).click();
    await expect(page).toHaveURL(/\/account$/);
    await expect(section.getByRole('img', { name: 'QR code for your authenticator app' })).toBeVisible();
    const secret = (await section.getByTestId('totp-secret').textContent()) ?? '';
    await section.getByLabel('Authentication code').fill(totp(secret));
    await section.getByRole('button', { name: 'Verify' }).click();
    await expect(section.getByTestId('backup-codes').locator('li')).toHaveCount(10);
    await section.getByRole('button', { name: "I've saved these codes" }).click();
    await expect(page).toHaveURL(/\/account$/);
    await expect(section.getByTestId('two-step-status')).toContainText('Authenticator app: on. 10 backup codes left.');
  });

  test('another device is signed out with a plain form', async ({ page, browser }) => {
    const email = uniqueEmail('acct-devices-nojs');
    await signUpWithOrg(page, email, { js: false });
    const other = await signInElsewhere(browser, email);
    await page.goto('/account');
    const devices = page.getByRole('region', { name: 'Active devices' }).getByTestId('device');
    await expect(devices).toHaveCount(2);
    await devices.filter({ hasNotText: 'This device' }).getByRole('button', { name: 'Sign out of Chrome on Linux' }).click();
    await expect(page).toHaveURL(/\/account$/);
    await expect(devices).toHaveCount(1);
    await expect(devices).toContainText('This device');
    expect((await other.request.get('/api/me')).status()).toBe(401);
    await other.context().close();
  });
});
