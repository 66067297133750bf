import { expect, test, type Page } from '@playwright/test';
import { createOrganization, gatehouseCli, hydrated, latestCode, PASSWORD, signUpWithOrg, totp, uniqueEmail, uniqueOrg } from './helpers';
import { MFA_APP_PORT, OIDC_IDTOKEN_PORT, OIDC_PORT } from './ports';

// SSO against a real OpenID provider (oidc-provider, started by the harness on OIDC_PORT in its
// default mode: the ID token carries only `sub`, UserInfo the email and names): its development
// login page takes any login; an email login is that account's email, a login containing
// "unverified" gets `email_verified: false`, and one containing "noemail" no email. The same
// provider started with --claims-in-id-token on OIDC_IDTOKEN_PORT ("ID Token IdP") puts the
// claims in the ID token too.

const PROVIDER = `http://127.0.0.1:${OIDC_PORT}`;
const ID_TOKEN_PROVIDER = `http://127.0.0.1:${OIDC_IDTOKEN_PORT}`;

/** Signs in at the provider's own pages (login, then consent). */
async function providerLogin(page: Page, login: string, provider = PROVIDER): Promise<void> {
  await expect(page).toHaveURL(new RegExp(`^${provider}/interaction/`));
  await page.getByPlaceholder('Enter any login').fill(login);
  await page.getByPlaceholder('and password').fill('anything');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
}

async function continueWith(page: Page, connection: string, path = '/sign-in'): Promise<void> {
  await page.goto(path);
  await hydrated(page);
  await page.getByRole('button', { name: `Continue with ${connection}` }).click();
}

async function continueWithTestIdp(page: Page, path = '/sign-in'): Promise<void> {
  await continueWith(page, 'Test IdP', path);
}

test.describe('SSO with a real OpenID provider', () => {
  test('social sign-up from nothing, then the same user signs in again without a sign-up', async ({ page, browser }) => {
    const email = uniqueEmail('sso-new');
    await continueWithTestIdp(page);
    await providerLogin(page, email);
    // No account: the callback page transfers to a sign-up; organizations are required.
    await createOrganization(page, uniqueOrg('Sso'));
    await expect(page).toHaveURL(/\/dashboard$/);
    await expect(page.getByTestId('user-email')).toHaveText(email);

    const other = await browser.newContext();
    const second = await other.newPage();
    await continueWithTestIdp(second);
    await providerLogin(second, email);
    await expect(second).toHaveURL(/\/dashboard$/);
    await expect(second.getByTestId('user-email')).toHaveText(email);
    await other.close();
  });

  test('a provider with the claims in its ID token: sign-up with its email and names, then sign-in', async ({ page, browser }) => {
    const email = uniqueEmail('sso-idtoken');
    await continueWith(page, 'ID Token IdP', '/sign-up');
    await providerLogin(page, email, ID_TOKEN_PROVIDER);
    await createOrganization(page, uniqueOrg('IdToken'));
    await expect(page).toHaveURL(/\/dashboard$/);
    await expect(page.getByTestId('user-email')).toHaveText(email);
    // The provider's names: the login's local part capitalized, and "Tester".
    const local = email.split('@')[0];
    await page.goto('/account');
    await hydrated(page);
    await expect(page.getByLabel('First name')).toHaveValue(local.charAt(0).toUpperCase() + local.slice(1));
    await expect(page.getByLabel('Last name')).toHaveValue('Tester');

    const other = await browser.newContext();
    const second = await other.newPage();
    await continueWith(second, 'ID Token IdP');
    await providerLogin(second, email, ID_TOKEN_PROVIDER);
    await expect(second).toHaveURL(/\/dashboard$/);
    await expect(second.getByTestId('user-email')).toHaveText(email);
    await other.close();
  });

  test('a password user whose verified email matches is linked; afterwards both ways sign in', async ({ page, browser }) => {
    const email = uniqueEmail('sso-link');
    await signUpWithOrg(page, email);
    await page.getByRole('button', { name: 'Sign out' }).click();

    await continueWithTestIdp(page);
    await providerLogin(page, email);
    await expect(page).toHaveURL(/\/dashboard$/);
    await expect(page.getByTestId('user-email')).toHaveText(email);

    const other = await browser.newContext();
    const second = await other.newPage();
    await second.goto('/sign-in');
    await hydrated(second);
    await second.getByLabel('Email address').fill(email);
    await second.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await second.getByRole('button', { name: 'Continue', exact: true }).click();
    await expect(second).toHaveURL(/\/dashboard$/);
    await other.close();
  });

  test('an unverified provider email never links to the existing account', async ({ page }) => {
    const email = uniqueEmail('unverified-link');
    await signUpWithOrg(page, email);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await continueWithTestIdp(page);
    // The login contains "unverified": the provider says the email is not verified.
    await providerLogin(page, email);
    await expect(page).toHaveURL(/\/sign-in\?sso_error=external_account_email_unverified$/);
    await expect(page.getByRole('alert')).toContainText('cannot be linked');
    expect((await page.request.get('/api/me')).status()).toBe(401);
  });

  test('an unverified provider email without an account is verified by code, then the identity signs in', async ({ page, browser }) => {
    const email = uniqueEmail('unverified-new');
    await continueWithTestIdp(page);
    await providerLogin(page, email);
    // Clerk's transfer with `unverified_fields = ["email_address"]`: the code goes to that email.
    await expect(page).toHaveURL(/\/sign-up\/verify-email-address/);
    await expect(page.getByRole('heading', { name: 'Verify your email' })).toBeVisible();
    expect((await page.request.get('/api/me')).status()).toBe(401);
    await hydrated(page);
    await page.getByLabel('Verification code').fill(await latestCode(email));
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await createOrganization(page, uniqueOrg('SsoUnv'));
    await expect(page).toHaveURL(/\/dashboard$/);
    await expect(page.getByTestId('user-email')).toHaveText(email);

    // The identity is linked: the provider signs the same user in, with no sign-up.
    const other = await browser.newContext();
    const second = await other.newPage();
    await continueWithTestIdp(second);
    await providerLogin(second, email);
    await expect(second).toHaveURL(/\/dashboard$/);
    await expect(second.getByTestId('user-email')).toHaveText(email);
    await other.close();
  });

  test('access_denied at the provider comes back to /sign-in with the error; Back and retry works', async ({ page }) => {
    await continueWithTestIdp(page);
    await expect(page).toHaveURL(new RegExp(`^${PROVIDER}/interaction/`));
    await page.getByRole('link', { name: '[ Cancel ]' }).click();
    await expect(page).toHaveURL(/\/sign-in\?sso_error=oauth_access_denied$/);
    await expect(page.getByRole('alert')).toContainText('cancelled at the provider');

    // Going Back from the provider and choosing it again starts a fresh attempt.
    await continueWithTestIdp(page);
    await expect(page).toHaveURL(new RegExp(`^${PROVIDER}/interaction/`));
    await page.goBack();
    await hydrated(page);
    await page.getByRole('button', { name: 'Continue with Test IdP' }).click();
    const email = uniqueEmail('sso-retry');
    await providerLogin(page, email);
    await createOrganization(page, uniqueOrg('Retry'));
    await expect(page).toHaveURL(/\/dashboard$/);
  });

  test('an @acme.test email typed on /sign-in goes to its provider, without a password', async ({ page }) => {
    await page.goto('/sign-in');
    await hydrated(page);
    const email = `lin-${Date.now()}@acme.test`;
    await page.getByLabel('Email address').fill(email);
    // The sign-in form is server-rendered: the password is optional where SSO domains exist.
    await expect(page.getByLabel('Password', { exact: true })).not.toHaveAttribute('required');
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await providerLogin(page, email);
    await createOrganization(page, uniqueOrg('Acme'));
    await expect(page).toHaveURL(/\/dashboard$/);
    await expect(page.getByTestId('user-email')).toHaveText(email);
  });

  for (const js of [true, false]) {
    test(`the enterprise IdP answering with another company's address signs nobody in (JavaScript ${js ? 'on' : 'off'})`, async ({ browser }) => {
      const context = await browser.newContext({ javaScriptEnabled: js });
      const page = await context.newPage();
      // Someone at another company already has an account.
      const victim = `ceo-${Date.now()}-${js}@othercompany.test`;
      gatehouseCli(['user', 'create', '--email', victim, '--password', PASSWORD]);
      await page.goto('/sign-in');
      if (js) await hydrated(page);
      await page.getByLabel('Email address').fill(`mallory-${Date.now()}@acme.test`);
      await page.getByRole('button', { name: 'Continue', exact: true }).click();
      // Acme's IdP vouches for an address outside acme.test.
      await providerLogin(page, victim);
      await expect(page).toHaveURL(/\/sign-in\?sso_error=sso_email_domain_mismatch$/);
      await expect(page.getByRole('alert')).toContainText('This provider can only sign in addresses at its own domain.');
      expect((await page.request.get('/api/me')).status()).toBe(401);
      // Nothing was linked: signed in with the password, the victim has no connected account.
      await page.goto('/sign-in');
      if (js) await hydrated(page);
      await page.getByLabel('Email address').fill(victim);
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByRole('button', { name: 'Continue', exact: true }).click();
      await createOrganization(page, uniqueOrg('Victim'));
      await expect(page).toHaveURL(/\/dashboard$/);
      await page.goto('/account');
      await expect(page.getByRole('heading', { name: 'Account', exact: true })).toBeVisible();
      await expect(page.getByTestId('external-account')).toHaveCount(0);
      await context.close();
    });
  }

  test('/sso-callback acts once: reloading it after success creates no second session', async ({ page }) => {
    const email = uniqueEmail('sso-once');
    await signUpWithOrg(page, email);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await continueWithTestIdp(page);
    await providerLogin(page, email);
    await expect(page).toHaveURL(/\/dashboard$/);
    const session = (await (await page.request.get('/api/me')).json()).sessionId;
    await page.goto('/sso-callback');
    await expect(page).toHaveURL(/\/dashboard$/);
    expect((await (await page.request.get('/api/me')).json()).sessionId).toBe(session);
  });
});

test.describe('SSO without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the button posts to the server, and the callback page offers Continue', async ({ page }) => {
    const email = uniqueEmail('sso-nojs');
    await page.goto('/sign-in');
    await page.getByRole('button', { name: 'Continue with Test IdP' }).click();
    await providerLogin(page, email);
    await expect(page).toHaveURL(/\/sso-callback/);
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await createOrganization(page, uniqueOrg('NoJs'));
    await expect(page).toHaveURL(/\/dashboard$/);
  });

  test('a provider that gives no email: /sign-up/continue asks for one, then its code', async ({ page }) => {
    const email = uniqueEmail('sso-typed');
    await page.goto('/sign-in');
    await page.getByRole('button', { name: 'Continue with Test IdP' }).click();
    await providerLogin(page, `noemail-${Date.now()}-${Math.floor(Math.random() * 1e6)}`);
    await expect(page).toHaveURL(/\/sso-callback/);
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await expect(page).toHaveURL(/\/sign-up\/continue/);
    await expect(page.getByRole('heading', { name: 'Fill in missing fields' })).toBeVisible();
    await page.getByLabel('Email address').fill(email);
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await expect(page).toHaveURL(/\/sign-up\/verify-email-address/);
    await page.getByLabel('Verification code').fill(await latestCode(email));
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await createOrganization(page, uniqueOrg('NoEmail'));
    await expect(page).toHaveURL(/\/dashboard$/);
    await expect(page.getByTestId('user-email')).toHaveText(email);
  });
});

test.describe('SSO for a user with a second factor', () => {
  test.use({ baseURL: `http://127.0.0.1:${MFA_APP_PORT}` });

  test('the provider signs them in as far as the factor-two step', async ({ page }) => {
    // A user of the MFA-required instance, enrolled through the setup-mfa task at sign-up by SSO.
    const email = uniqueEmail('sso-mfa');
    await continueWithTestIdp(page);
    await providerLogin(page, email);
    await expect(page.getByRole('heading', { name: 'Set up two-step verification' })).toBeVisible();
    await hydrated(page);
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
    await page.getByLabel('Authentication code').fill(totp(secret));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await createOrganization(page, uniqueOrg('SsoMfa'));
    await expect(page).toHaveURL(/\/dashboard$/);
    await page.getByRole('button', { name: 'Sign out' }).click();

    // The provider remembers its own session: no login page this time.
    await continueWithTestIdp(page);
    await expect(page).toHaveURL(/\/sign-in\/factor-two/);
    await expect(page.getByRole('heading', { name: 'Two-step verification' })).toBeVisible();
    expect((await page.request.get('/api/me')).status()).toBe(401);
  });
});
