import { test, expect } from '@playwright/test';
import {
  createOrganization, fillSignIn, hydrated, latestCode, latestMail, mailsFor, PASSWORD, signUp, signUpWithOrg,
  uniqueEmail, uniqueOrg,
} from './helpers';

test.describe('password sign-up and sign-in (JavaScript on)', () => {
  test('sign up → emailed code → verify → dashboard; sign out; sign in again', async ({ page }) => {
    const email = uniqueEmail('flow');
    await signUpWithOrg(page, email);
    await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
    await expect(page.getByTestId('user-email')).toHaveText(email);
    await expect(page.getByTestId('auth-object')).toContainText('"sessionStatus": "active"');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByTestId('home-state')).toHaveText('You are signed out.');
    await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();

    await page.getByRole('link', { name: 'Sign in' }).click();
    await hydrated(page);
    await fillSignIn(page, email);
    await expect(page).toHaveURL(/\/dashboard$/);
    await expect(page.getByTestId('user-email')).toHaveText(email);
  });

  test('a wrong password and an unknown email show the same error next to the password', async ({ page }) => {
    const email = uniqueEmail('wrongpw');
    await signUpWithOrg(page, email);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page.getByTestId('home-state')).toHaveText('You are signed out.');

    await page.goto('/sign-in');
    await hydrated(page);
    await fillSignIn(page, email, 'not-the-password');
    const password = page.getByLabel('Password', { exact: true });
    await expect(password).toHaveAttribute('aria-invalid', 'true');
    await expect(page.locator('#field-password-error')).toHaveText('Password is incorrect. Try again, or use another method.');
    await expect(page).toHaveURL(/\/sign-in/);

    await fillSignIn(page, uniqueEmail('nobody'), 'not-the-password');
    await expect(page.locator('#field-password-error')).toHaveText('Password is incorrect. Try again, or use another method.');
  });

  test('/dashboard while signed out redirects to sign-in and returns after sign-in', async ({ page, browser }) => {
    const email = uniqueEmail('return');
    // Create the account in another browser, so this one is signed out.
    const other = await browser.newContext();
    const otherPage = await other.newPage();
    await signUpWithOrg(otherPage, email);
    await other.close();

    const response = await page.request.get('/dashboard', { maxRedirects: 0 });
    expect(response.status()).toBe(302);
    expect(response.headers()['location']).toBe('/sign-in?redirect_url=%2Fdashboard');

    await page.goto('/dashboard');
    await expect(page).toHaveURL(/\/sign-in\?redirect_url=%2Fdashboard$/);
    await hydrated(page);
    await fillSignIn(page, email);
    await expect(page).toHaveURL(/\/dashboard$/);
    await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  });

  test('/api/me answers 401 with Clerk\'s envelope, then 200 with the Auth object', async ({ page }) => {
    const before = await page.request.get('/api/me');
    expect(before.status()).toBe(401);
    const body = await before.json();
    expect(body.errors[0].code).toBe('authorization_invalid');

    const email = uniqueEmail('me');
    await signUpWithOrg(page, email);
    const after = await page.request.get('/api/me');
    expect(after.status()).toBe(200);
    const auth = await after.json();
    expect(auth.userId).toMatch(/^user_/);
    expect(auth.sessionId).toMatch(/^sess_/);
    expect(auth.sessionStatus).toBe('active');
    expect(auth.orgId).toMatch(/^org_/);
    expect(auth.orgRole).toBe('org:admin');
    expect(auth).toHaveProperty('factorVerificationAge');
  });

  test('bad sign-up input gets Clerk errors next to the fields; a taken email proceeds and mails the owner', async ({ page, browser }) => {
    await page.goto('/sign-up');
    await hydrated(page);
    await page.getByLabel('Email address').fill('not-an-email@nowhere');
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await expect(page.locator('#field-email_address-error')).toHaveText('Email address must be a valid email address.');
    await expect(page.locator('#field-password-error')).toHaveText('Your password is too short. It must be at least 8 characters long.');
    await expect(page.getByLabel('Email address')).toHaveValue('not-an-email@nowhere');

    await page.getByLabel('Email address').fill(uniqueEmail('pwned'));
    await page.getByLabel('Password', { exact: true }).fill('password123');
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await expect(page.locator('#field-password-error')).toContainText('found in an online data breach');

    // The owner of a taken address is mailed a notice; the visitor sees the usual next step.
    const owner = uniqueEmail('owner');
    const ownerContext = await browser.newContext();
    await signUpWithOrg(await ownerContext.newPage(), owner);
    await ownerContext.close();
    const before = (await mailsFor(owner)).length;
    await page.getByLabel('Email address').fill(owner);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await expect(page.getByRole('heading', { name: 'Verify your email' })).toBeVisible();
    const notice = await latestMail(owner, before);
    expect(notice.subject).toBe('Sign-up attempt with your email address');
    await page.getByLabel('Verification code').fill('123456');
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await expect(page.locator('#field-code-error')).toHaveText('Incorrect code');
  });

  test('a wrong code shows form_code_incorrect; a hostile redirect_url is replaced by the fallback', async ({ page }) => {
    const email = uniqueEmail('code');
    await page.goto('/sign-up?redirect_url=https%3A%2F%2Fevil.example%2Fsteal');
    await hydrated(page);
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await expect(page.getByRole('heading', { name: 'Verify your email' })).toBeVisible();
    const code = await latestCode(email);
    const wrong = code === '000000' ? '111111' : '000000';
    await page.getByLabel('Verification code').fill(wrong);
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await expect(page.locator('#field-code-error')).toHaveText('Incorrect code');
    await page.getByLabel('Verification code').fill(code);
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    // Pending (organizations are required): the task page carries the refused target's fallback.
    await expect(page).toHaveURL(/\/session-tasks\/choose-organization\?redirect_url=%2Fdashboard$/);
    await createOrganization(page, uniqueOrg('Code'));
    await expect(page).toHaveURL(/127\.0\.0\.1:\d+\/dashboard$/);
  });
});

test.describe('the same flows with JavaScript disabled', () => {
  test.use({ javaScriptEnabled: false });

  test('sign up, verify, sign out and sign in through plain HTML forms', async ({ page }) => {
    const email = uniqueEmail('nojs');
    await signUpWithOrg(page, email, { js: false });
    await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
    await expect(page.getByTestId('user-email')).toHaveText(email);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByTestId('home-state')).toHaveText('You are signed out.');

    await page.goto('/dashboard');
    await expect(page).toHaveURL(/\/sign-in\?redirect_url=%2Fdashboard$/);
    await fillSignIn(page, email, 'wrong-password!');
    await expect(page.locator('#field-password-error')).toHaveText('Password is incorrect. Try again, or use another method.');
    await fillSignIn(page, email);
    await expect(page).toHaveURL(/\/dashboard$/);
    await expect(page.getByTestId('user-email')).toHaveText(email);
  });
});
