import { test, expect, type Browser, type Page } from '@playwright/test';
import {
  gatehouseCli, hydrated, PASSWORD, signUpWithOrg, totp, uniqueEmail,
} from './helpers';
import { PASSKEY_APP_PORT } from './ports';

// Passkeys in a real browser: Chromium's virtual authenticator (CDP WebAuthn: CTAP2, internal
// transport, resident keys, user verification on), on the instance served as
// http://localhost (browsers refuse WebAuthn on an IP address).

test.use({ baseURL: `http://localhost:${PASSKEY_APP_PORT}` });

const E2E_DIR = 'target/e2e-passkeys';

/** Gives the page a platform authenticator that answers every prompt; its id and session. */
async function virtualAuthenticator(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

/**
 * Chromium's virtual authenticator answers a conditional (autofill) request at once, as if the
 * user had picked the passkey from the email field's list: pages that test the buttons turn the
 * autofill off, the autofill test keeps it.
 */
async function withoutAutofill(page: Page): Promise<void> {
  await page.addInitScript(() => {
    if (window.PublicKeyCredential) PublicKeyCredential.isConditionalMediationAvailable = async () => false;
  });
}

function passkeysSection(page: Page) {
  return page.getByRole('region', { name: 'Passkeys' });
}

/** Adds a passkey on the account page of a fresh session. */
async function addPasskey(page: Page): Promise<void> {
  await page.goto('/account');
  await hydrated(page);
  await passkeysSection(page).getByRole('button', { name: 'Add a passkey' }).click();
  await expect(passkeysSection(page).getByText('Passkey added')).toBeVisible();
  await expect(passkeysSection(page).getByTestId('passkey')).toHaveCount(1);
}

async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByTestId('home-state')).toHaveText('You are signed out.');
}

async function signInWithPasskey(page: Page): Promise<void> {
  await page.goto('/sign-in');
  await hydrated(page);
  await page.getByRole('button', { name: 'Sign in with passkey' }).click();
}

test.describe('passkeys', () => {
  test('added after reverification, it signs in with no email typed; removed, it signs in no more', async ({ page }) => {
    const email = uniqueEmail('passkey');
    await withoutAutofill(page);
    await signUpWithOrg(page, email);
    const { cdp, authenticatorId } = await virtualAuthenticator(page);

    // A stale session: "Add a passkey" asks for the password first, then makes it.
    gatehouseCli(['session', 'require-reverification', '--email', email], E2E_DIR);
    await page.goto('/account');
    await hydrated(page);
    const section = passkeysSection(page);
    await expect(section.getByText('No passkeys yet', { exact: false })).toBeVisible();
    await section.getByRole('button', { name: 'Add a passkey' }).click();
    await expect(page.getByText("Verification required: confirm it's you, then submit again.")).toBeVisible();
    expect((await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials).toHaveLength(0);
    await section.getByRole('textbox', { name: 'Password', exact: true }).fill(PASSWORD);
    await section.getByRole('button', { name: 'Add a passkey' }).click();
    await expect(section.getByText('Passkey added')).toBeVisible();
    await expect(section.getByTestId('passkey')).toHaveCount(1);
    await expect(section.getByTestId('passkey')).toContainText('Passkey');
    await expect(section.getByTestId('passkey')).toContainText('never used');
    // A resident key: the authenticator keeps it, with a user handle that is not the email.
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0].isResidentCredential).toBe(true);
    expect(credentials[0].rpId).toBe('localhost');
    expect(Buffer.from(credentials[0].userHandle ?? '', 'base64').toString()).not.toContain(email.split('@')[0]);

    // Renamed.
    await section.getByRole('textbox', { name: 'New name for Passkey' }).fill('Work laptop');
    await section.getByRole('button', { name: 'Rename' }).click();
    await expect(section.getByText('Passkey renamed')).toBeVisible();
    await expect(section.getByTestId('passkey')).toContainText('Work laptop');

    // Signed out, the passkey signs in: no email typed.
    await page.goto('/dashboard');
    await signOut(page);
    await signInWithPasskey(page);
    await expect(page).toHaveURL(/\/dashboard$/);
    await expect(page.getByTestId('user-email')).toHaveText(email);

    // Removed (the passkey made the session fresh), it no longer signs in.
    await page.goto('/account');
    await passkeysSection(page).getByRole('button', { name: 'Remove Work laptop' }).click();
    await expect(passkeysSection(page).getByText('Passkey removed')).toBeVisible();
    await expect(passkeysSection(page).getByTestId('passkey')).toHaveCount(0);
    await page.goto('/dashboard');
    await signOut(page);
    await signInWithPasskey(page);
    await expect(page.getByRole('alert').filter({ hasText: 'not registered' })).toHaveText(
      'This passkey is not registered to an account here.',
    );
    await expect(page).toHaveURL(/\/sign-in/);
  });

  test('a user with an authenticator app is still asked for its code after a passkey', async ({ page }) => {
    const email = uniqueEmail('passkey-totp');
    await withoutAutofill(page);
    await signUpWithOrg(page, email);
    await virtualAuthenticator(page);
    await addPasskey(page);

    const twoStep = page.getByRole('region', { name: 'Two-step verification' });
    await twoStep.getByRole('button', { name: 'Add authenticator app' }).click();
    const secret = (await twoStep.getByTestId('totp-secret').textContent()) ?? '';
    await twoStep.getByLabel('Authentication code').fill(totp(secret));
    await twoStep.getByRole('button', { name: 'Verify' }).click();
    await expect(twoStep.getByTestId('backup-codes').locator('li')).toHaveCount(10);

    await page.goto('/dashboard');
    await signOut(page);
    await signInWithPasskey(page);
    await expect(page.getByRole('heading', { name: 'Two-step verification' })).toBeVisible();
    // The next 30-second step: the one used to turn the app on is spent.
    await page.getByLabel('Authentication code').fill(totp(secret, Date.now() + 30_000));
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await expect(page).toHaveURL(/\/dashboard$/);
    await expect(page.getByTestId('user-email')).toHaveText(email);
  });

  test("/custom/sign-in signs in with the hook's passkey(); a cancelled prompt shows nothing", async ({ page }) => {
    const email = uniqueEmail('passkey-custom');
    await signUpWithOrg(page, email);
    const { cdp, authenticatorId } = await virtualAuthenticator(page);
    await addPasskey(page);
    await page.goto('/dashboard');
    await signOut(page);

    await page.goto('/custom/sign-in');
    await hydrated(page);
    // The user declines the prompt (no user verification): nothing to show, the form stays.
    await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: false });
    await page.getByRole('button', { name: 'Sign in with passkey' }).click();
    await expect(page.getByRole('button', { name: 'Sign in with passkey' })).toBeEnabled();
    await expect(page.locator('section.custom-flow').getByRole('alert')).toHaveText('');
    await expect(page).toHaveURL(/\/custom\/sign-in$/);

    await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: true });
    await page.getByRole('button', { name: 'Sign in with passkey' }).click();
    await expect(page).toHaveURL(/\/dashboard$/);
    await expect(page.getByTestId('user-email')).toHaveText(email);
  });

  test("the email field's autofill offers the passkey: picked, it signs in; Use passkey takes the email typed", async ({ page }) => {
    const email = uniqueEmail('passkey-autofill');
    await signUpWithOrg(page, email);
    await virtualAuthenticator(page);
    await addPasskey(page);
    await page.goto('/dashboard');
    await signOut(page);
    // The sign-in page asks with conditional mediation: the (virtual) user picks the passkey
    // from the email field's list, and the page signs in.
    await page.goto('/sign-in');
    await expect(page).toHaveURL(/\/dashboard$/);
    await expect(page.getByTestId('user-email')).toHaveText(email);

    // "Use passkey" takes the email typed: only that account's passkey signs in.
    await signOut(page);
    await withoutAutofill(page);
    await page.goto('/sign-in');
    await page.getByLabel('Email address').fill(uniqueEmail('someone-else'));
    await page.getByRole('button', { name: 'Use passkey' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'not registered' })).toHaveText(
      'This passkey is not registered to an account here.',
    );
    await page.getByLabel('Email address').fill(email);
    await page.getByRole('button', { name: 'Use passkey' }).click();
    await expect(page).toHaveURL(/\/dashboard$/);
    await expect(page.getByTestId('user-email')).toHaveText(email);
  });

  test('without JavaScript no passkey button appears, and the password still signs in', async ({ browser }) => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto('/sign-in');
    await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Sign in with passkey' })).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Use passkey' })).toHaveCount(0);
    await context.close();
    await withPasswordOnly(browser);
  });
});

/** A user signs up and in with the password, JavaScript off, on the passkey instance. */
async function withPasswordOnly(browser: Browser): Promise<void> {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const email = uniqueEmail('passkey-nojs');
  await signUpWithOrg(page, email, { js: false });
  await expect(page.getByTestId('user-email')).toHaveText(email);
  await context.close();
}
