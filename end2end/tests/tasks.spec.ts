import { test, expect } from '@playwright/test';
import {
  createOrganization, fillSignIn, gatehouseCli, hydrated, latestCode, PASSWORD, signUp, signUpWithOrg, totp,
  uniqueEmail, uniqueOrg,
} from './helpers';
import { MFA_APP_PORT } from './ports';

test.describe('session tasks and organizations', () => {
  test('sign-up lands on choose-organization; creating one makes the user org:admin', async ({ page }) => {
    const email = uniqueEmail('chooser');
    await signUp(page, email);
    await expect(page).toHaveURL(/\/session-tasks\/choose-organization\?redirect_url=%2Fdashboard$/);
    await expect(page.getByTestId('task-identifier')).toHaveText(email);
    await hydrated(page);

    const org = uniqueOrg('Acme');
    await page.getByLabel('Name', { exact: true }).fill(org.name);
    // A malformed slug is refused next to its field, and nothing is lost.
    await page.getByLabel('Slug').fill('Not A Slug!');
    await page.getByRole('button', { name: 'Create organization' }).click();
    await expect(page.locator('#field-slug-error')).toContainText('lowercase letters');
    await expect(page.getByLabel('Name', { exact: true })).toHaveValue(org.name);

    await page.getByLabel('Slug').fill(org.slug);
    await page.getByRole('button', { name: 'Create organization' }).click();
    await expect(page).toHaveURL(/\/dashboard$/);
    await expect(page.getByTestId('org-role')).toHaveText('org:admin');
    await expect(page.getByTestId('org-slug')).toHaveText(org.slug);
    await expect(page.getByTestId('org-permissions')).toContainText('org:sys_memberships:manage');
    await expect(page.getByTestId('org-permissions')).toContainText('org:reports:manage');
    await expect(page.getByTestId('auth-object')).toContainText('"sessionStatus": "active"');

    // A taken slug is a field error too.
    const other = await page.context().browser()!.newContext();
    const otherPage = await other.newPage();
    await signUp(otherPage, uniqueEmail('second'));
    await otherPage.getByLabel('Name', { exact: true }).fill('Copycat');
    await otherPage.getByLabel('Slug').fill(org.slug);
    await otherPage.getByRole('button', { name: 'Create organization' }).click();
    await expect(otherPage.locator('#field-slug-error')).toHaveText('That slug is taken. Please try another.');
    await other.close();
  });

  test('a pending user sees the signed-out variants of the control components', async ({ page }) => {
    await signUp(page, uniqueEmail('pending'));
    await expect(page).toHaveURL(/choose-organization/);
    await page.goto('/');
    await expect(page.getByTestId('protect-default')).toHaveText('Signed-out and pending users can see this.');
    await expect(page.getByTestId('protect-pending-in')).toHaveText('Users that are signed-in or pending can see this.');
    await expect(page.getByTestId('signed-out-default')).toHaveText('Users that are signed-out or pending will see this.');
    await expect(page.getByTestId('signed-out-pending-in')).toHaveText('');
    await expect(page.getByTestId('signed-in-default')).toHaveText('');
    await expect(page.getByTestId('signed-in-pending-in')).toHaveText('Users that are signed-in or pending will see this.');
    await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();

    // /api/me treats pending as signed out by default, and as signed in when asked.
    expect((await page.request.get('/api/me')).status()).toBe(401);
    const pendingIn = await page.request.get('/api/me?treat_pending_as_signed_out=false');
    expect(pendingIn.status()).toBe(200);
    expect((await pendingIn.json()).sessionStatus).toBe('pending');
  });

  test('a pending user opening a protected page lands on the exact task and returns after it', async ({ page }) => {
    await signUp(page, uniqueEmail('return'));
    await expect(page).toHaveURL(/choose-organization/);
    const response = await page.request.get('/account', { maxRedirects: 0 });
    expect(response.status()).toBe(302);
    expect(response.headers()['location']).toBe('/session-tasks/choose-organization?redirect_url=%2Faccount');

    await page.goto('/account');
    await expect(page).toHaveURL(/\/session-tasks\/choose-organization\?redirect_url=%2Faccount$/);
    await hydrated(page);
    await createOrganization(page, uniqueOrg('Return'));
    await expect(page).toHaveURL(/\/account$/);
    await expect(page.getByRole('heading', { name: 'Account', exact: true })).toBeVisible();

    // An unknown task key goes to the current task, or onwards when none remains.
    await page.goto('/session-tasks/no-such-task');
    await expect(page).toHaveURL(/\/dashboard$/);
  });

  test('<RedirectToTasks/> sends a pending user from a public page to the task', async ({ page }) => {
    const email = uniqueEmail('redirect');
    await signUp(page, email);
    await expect(page).toHaveURL(/choose-organization/);
    await page.goto('/me');
    await expect(page).toHaveURL(/\/session-tasks\/choose-organization\?redirect_url=%2Fme$/);
    await hydrated(page);
    await createOrganization(page, uniqueOrg('Me'));
    await expect(page).toHaveURL(/\/me$/);
    await expect(page.getByTestId('me-email')).toHaveText(email);
  });

  test('the operator flags a password: the next navigation goes to reset-password, then on', async ({ page, browser }) => {
    const email = uniqueEmail('reset');
    await signUpWithOrg(page, email);
    // A second device, signed in as the same user.
    const device = await browser.newContext();
    const devicePage = await device.newPage();
    await devicePage.goto('/sign-in');
    await hydrated(devicePage);
    await fillSignIn(devicePage, email);
    await expect(devicePage).toHaveURL(/\/dashboard$/);

    gatehouseCli(['user', 'require-password-reset', '--email', email, '--keep-sessions']);
    await page.goto('/dashboard');
    await expect(page).toHaveURL(/\/session-tasks\/reset-password\?redirect_url=%2Fdashboard$/);
    await expect(page.getByRole('heading', { name: 'Reset your password' })).toBeVisible();
    await hydrated(page);
    await expect(page.getByLabel('Sign out of all other devices')).toBeChecked();

    await page.getByLabel('New password', { exact: true }).fill('a-brand-new-password');
    await page.getByLabel('Confirm password').fill('a-different-password');
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await expect(page.locator('#field-confirm_password-error')).toHaveText("Passwords don't match.");

    await page.getByLabel('New password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Confirm password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await expect(page.locator('#field-new_password-error')).toHaveText('New password cannot be the same as the current password.');

    await page.getByLabel('New password', { exact: true }).fill('a-brand-new-password');
    await page.getByLabel('Confirm password').fill('a-brand-new-password');
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await expect(page).toHaveURL(/\/dashboard$/);
    await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();

    // The other device was signed out; the new password works.
    expect((await devicePage.request.get('/api/me')).status()).toBe(401);
    await device.close();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page.getByTestId('home-state')).toHaveText('You are signed out.');
    await page.goto('/sign-in');
    await hydrated(page);
    await fillSignIn(page, email, 'a-brand-new-password');
    await expect(page).toHaveURL(/\/dashboard$/);
  });

  test('members get 404 on organization settings; admins see them', async ({ page, browser }) => {
    const adminEmail = uniqueEmail('admin');
    const org = await signUpWithOrg(page, adminEmail);
    const memberContext = await browser.newContext();
    const memberPage = await memberContext.newPage();
    const memberEmail = uniqueEmail('member');
    await signUpWithOrg(memberPage, memberEmail);
    gatehouseCli(['org', 'add-member', '--org', org.slug, '--email', memberEmail, '--role', 'org:member']);

    const settings = await memberPage.goto(`/orgs/${org.slug}/settings`);
    expect(settings!.status()).toBe(404);
    const orgPage = await memberPage.goto(`/orgs/${org.slug}`);
    expect(orgPage!.status()).toBe(200);
    await expect(memberPage.getByTestId('members')).toContainText(`${memberEmail} — org:member`);
    await expect(memberPage.getByTestId('members')).toContainText(`${adminEmail} — org:admin`);
    await expect(memberPage.getByRole('link', { name: 'Settings' })).toHaveCount(0);
    await memberContext.close();

    const adminSettings = await page.goto(`/orgs/${org.slug}/settings`);
    expect(adminSettings!.status()).toBe(200);
    await expect(page.getByRole('heading', { name: 'Organization settings' })).toBeVisible();

    // Not a member at all: 404.
    const stranger = await browser.newContext();
    const strangerPage = await stranger.newPage();
    await signUpWithOrg(strangerPage, uniqueEmail('stranger'));
    expect((await strangerPage.goto(`/orgs/${org.slug}`))!.status()).toBe(404);
    await stranger.close();
  });

  test('the organization switcher switches with a plain form and the page shows the new Auth', async ({ page }) => {
    const email = uniqueEmail('switch');
    const first = await signUpWithOrg(page, email);
    const second = uniqueOrg('Second');
    gatehouseCli(['org', 'create', '--name', second.name, '--slug', second.slug, '--owner', email]);
    await page.reload();
    await hydrated(page);
    await expect(page.getByTestId('org-slug')).toHaveText(first.slug);

    // The demo renders the switcher on the server (it is not an island): a switch posts and the
    // page comes back; minimal.spec.ts drives the in-place switch of a hydrated app.
    await page.getByRole('button', { name: `Switch to ${second.name}` }).click();
    await expect(page.getByTestId('org-slug')).toHaveText(second.slug);
    await expect(page.getByTestId('active-org')).toHaveText(second.slug);
    await expect(page.getByTestId('org-role')).toHaveText('org:admin');
    await expect(page).toHaveURL(/\/dashboard$/);
    const me = await (await page.request.get('/api/me')).json();
    expect(me.orgSlug).toBe(second.slug);
  });

  test('the organization switcher pages with links, with JavaScript and without', async ({ page, browser }) => {
    const email = uniqueEmail('pages');
    const orgs = [await signUpWithOrg(page, email)];
    for (let i = 0; i < 10; i++) {
      const org = uniqueOrg(`Page${i}`);
      gatehouseCli(['org', 'create', '--name', org.name, '--slug', org.slug, '--owner', email]);
      orgs.push(org);
    }
    // 11 memberships, 10 to a page.
    await page.reload();
    await hydrated(page);
    const switcher = page.getByRole('region', { name: 'Organization switcher' });
    await expect(switcher.getByText('Page 1 of 2')).toBeVisible();
    await expect(switcher.locator('.org-choice')).toHaveCount(10);
    await expect(switcher.getByRole('link', { name: 'Previous' })).toHaveCount(0);
    await switcher.getByRole('link', { name: 'Next' }).click();
    await expect(switcher.getByText('Page 2 of 2')).toBeVisible();
    await expect(switcher.locator('.org-choice')).toHaveCount(1);
    await switcher.getByRole('link', { name: 'Previous' }).click();
    await expect(switcher.locator('.org-choice')).toHaveCount(10);

    // Without JavaScript the pages are plain links, and a switch comes back to the same page.
    const context = await browser.newContext({ javaScriptEnabled: false });
    await context.addCookies(await page.context().cookies());
    const plain = await context.newPage();
    await plain.goto('/dashboard');
    const plainSwitcher = plain.getByRole('region', { name: 'Organization switcher' });
    await plainSwitcher.getByRole('link', { name: 'Next' }).click();
    await expect(plain).toHaveURL(/\/dashboard\?organizations_page=2$/);
    await expect(plainSwitcher.getByText('Page 2 of 2')).toBeVisible();
    const choice = plainSwitcher.locator('.org-choice');
    await expect(choice).toHaveCount(1);
    const name = ((await choice.textContent()) ?? '').replace('Switch to ', '');
    const target = orgs.find((org) => org.name === name);
    expect(target).toBeDefined();
    await choice.click();
    await expect(plain).toHaveURL(/\/dashboard\?organizations_page=2$/);
    await expect(plain.getByTestId('active-org')).toHaveText(target!.slug);
    await expect(choice).toHaveAttribute('aria-pressed', 'true');
    await context.close();
  });
});

test.describe('an instance that requires MFA (embedded task routes)', () => {
  test.use({ baseURL: `http://127.0.0.1:${MFA_APP_PORT}` });

  test('sign-up → setup-mfa with a TOTP from the shown secret → backup codes → next task → dashboard', async ({ page }) => {
    const email = uniqueEmail('mfa');
    await signUp(page, email);
    await expect(page).toHaveURL(/\/sign-in\/tasks\/setup-mfa\?redirect_url=%2Fdashboard$/);
    await expect(page.getByRole('heading', { name: 'Set up two-step verification' })).toBeVisible();
    await hydrated(page);
    // Loading the page creates nothing; the secret is created by a POST.
    await expect(page.getByTestId('totp-secret')).toHaveCount(0);
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await expect(page.locator('.qr svg')).toBeVisible();
    const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    // A reload shows the same secret (a GET never rotates it).
    await page.reload();
    await hydrated(page);
    await expect(page.getByTestId('totp-secret')).toHaveText(secret);

    await page.getByLabel('Authentication code').fill(totp(secret, Date.now() + 5 * 60_000));
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect(page.locator('#field-code-error')).toHaveText('Incorrect code');

    await page.getByLabel('Authentication code').fill(totp(secret));
    await page.getByRole('button', { name: 'Verify' }).click();
    const codes = page.getByTestId('backup-codes').locator('li');
    await expect(codes).toHaveCount(10);
    await page.getByRole('button', { name: 'Continue', exact: true }).click();

    // Next task, in the fixed order: choose-organization, on the embedded route.
    await expect(page).toHaveURL(/\/sign-in\/tasks\/choose-organization\?redirect_url=%2Fdashboard$/);
    await createOrganization(page, uniqueOrg('Mfa'));
    await expect(page).toHaveURL(/\/dashboard$/);
    const auth = await (await page.request.get('/api/me')).json();
    expect(auth.sessionStatus).toBe('active');
    // Enrolling never counts as verifying the new factor (only a sign-in step or the
    // reverification prompt does): it is on, and stale for this session.
    expect(auth.factorVerificationAge[1]).toBeGreaterThanOrEqual(10);
  });
});
