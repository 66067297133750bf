import { test, expect, type Browser, type Page } from '@playwright/test';
import {
  PASSWORD, gatehouseCli, hydrated, latestCode, mailsFor, signUp, signUpWithOrg, totp, uniqueEmail, uniqueOrg,
} from './helpers';
import { PERSONAL_APP_PORT } from './ports';

// Organizations a team runs: invitations by email (maildev), the accept link and the
// choose-organization task without JavaScript, and <OrganizationProfile/> changing roles and
// removing members — each change seen by the member at their next request.

/** The path of the invitation link in the latest invitation mail to `email`. */
async function invitationLink(email: string): Promise<string> {
  let link: string | undefined;
  await expect
    .poll(async () => {
      const links = (await mailsFor(email))
        .map((mail) => /\/invitations\/accept\?__clerk_ticket=[0-9a-f]+/.exec(mail.text)?.[0])
        .filter((found) => found !== undefined);
      link = links.pop();
      return link !== undefined;
    }, { timeout: 15_000, message: `an invitation mail to ${email}` })
    .toBe(true);
  return link!;
}

/** A new browser without JavaScript. */
async function withoutJs(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ javaScriptEnabled: false });
  return context.newPage();
}

/** The section of the organization profile named `name`. */
function section(page: Page, name: string) {
  return page.getByRole('region', { name });
}

test.describe('organizations', () => {
  test('an admin invites a new address; the link signs up without a code and joins (no JavaScript)', async ({ page, browser }) => {
    const org = await signUpWithOrg(page, uniqueEmail('inv-admin'));
    const invitee = uniqueEmail('inv-new');
    await page.goto(`/orgs/${org.slug}/settings`);
    const invitations = section(page, 'Invitations');
    await invitations.getByLabel('Email address').fill(invitee);
    await invitations.getByLabel('Role').selectOption('org:member');
    await invitations.getByRole('button', { name: 'Send invitation' }).click();
    await expect(page.getByTestId('invitations')).toContainText(invitee);

    const link = await invitationLink(invitee);
    const guest = await withoutJs(browser);
    await guest.goto(link);
    await expect(guest.getByRole('heading', { name: `Join ${org.name}` })).toBeVisible();
    await expect(guest.getByLabel('Email address')).toHaveValue(invitee);
    await guest.getByLabel('Password').fill(PASSWORD);
    await guest.getByRole('button', { name: 'Continue' }).click();
    await expect(guest).toHaveURL(/\/dashboard$/);
    await expect(guest.getByTestId('org-slug')).toHaveText(org.slug);
    await expect(guest.getByTestId('org-role')).toHaveText('org:member');
    // No code was mailed: the ticket proved the address.
    expect(await mailsFor(invitee)).toHaveLength(1);
    // The link worked once.
    await guest.goto(link);
    await expect(guest.getByRole('alert')).toHaveText('This invitation was accepted already.');
    await guest.context().close();
  });

  test('an existing user, signed out, signs in with the authenticator app through the link and joins', async ({ page, browser }) => {
    const org = await signUpWithOrg(page, uniqueEmail('inv-admin2'));
    // Bob has an account of his own with two-step verification on.
    const bobContext = await browser.newContext();
    const bob = await bobContext.newPage();
    const bobEmail = uniqueEmail('inv-bob');
    await signUpWithOrg(bob, bobEmail);
    gatehouseCli(['session', 'require-reverification', '--email', bobEmail]);
    await bob.goto('/account');
    await hydrated(bob);
    const twoStep = bob.getByRole('region', { name: 'Two-step verification' });
    await twoStep.getByRole('button', { name: 'Add authenticator app' }).click();
    await twoStep.getByRole('textbox', { name: 'Password', exact: true }).fill(PASSWORD);
    await twoStep.getByRole('button', { name: 'Add authenticator app' }).click();
    const secret = (await twoStep.getByTestId('totp-secret').textContent()) ?? '';
    await twoStep.getByLabel('Authentication code').fill(totp(secret));
    await twoStep.getByRole('button', { name: 'Verify' }).click();
    await twoStep.getByRole('button', { name: "I've saved these codes" }).click();
    await expect(twoStep.getByTestId('two-step-status')).toContainText('Authenticator app: on');
    await bobContext.close();

    gatehouseCli(['org', 'invite', '--org', org.slug, '--email', bobEmail, '--role', 'org:member']);
    const link = await invitationLink(bobEmail);
    const signedOut = await withoutJs(browser);
    await signedOut.goto(link);
    await expect(signedOut.getByText('Sign in to accept the invitation.')).toBeVisible();
    await signedOut.getByLabel('Password').fill(PASSWORD);
    await signedOut.getByRole('button', { name: 'Continue' }).click();
    await expect(signedOut).toHaveURL(/\/sign-in\/factor-two/);
    await signedOut.getByLabel('Authentication code').fill(totp(secret, Date.now() + 30_000));
    await signedOut.getByRole('button', { name: 'Continue', exact: true }).click();
    await expect(signedOut).toHaveURL(/\/dashboard$/);
    await expect(signedOut.getByTestId('org-slug')).toHaveText(org.slug);
    await expect(signedOut.getByTestId('org-role')).toHaveText('org:member');
    await signedOut.context().close();
  });

  test('a revoked link says so and joins nothing (no JavaScript)', async ({ page, browser }) => {
    const org = await signUpWithOrg(page, uniqueEmail('inv-admin3'));
    const invitee = uniqueEmail('inv-revoked');
    gatehouseCli(['org', 'invite', '--org', org.slug, '--email', invitee, '--role', 'org:member']);
    const link = await invitationLink(invitee);

    const admin = await withoutJs(page.context().browser()!);
    await admin.context().addCookies(await page.context().cookies());
    await admin.goto(`/orgs/${org.slug}/settings`);
    await section(admin, 'Invitations').getByRole('button', { name: `Revoke ${invitee}` }).click();
    await expect(admin.getByText('Invitation revoked')).toBeVisible();
    await expect(admin.getByTestId('invitations')).not.toContainText(invitee);

    const guest = await withoutJs(browser);
    await guest.goto(link);
    await expect(guest.getByRole('alert')).toHaveText('This invitation was revoked.');
    await expect(guest.getByLabel('Password')).toHaveCount(0);
    await guest.context().close();
    await admin.context().close();
  });

  test('a pending invitation is joined from the choose-organization task (no JavaScript)', async ({ page, browser }) => {
    const org = await signUpWithOrg(page, uniqueEmail('inv-admin4'));
    const guest = await withoutJs(browser);
    const email = uniqueEmail('inv-task');
    await signUp(guest, email, { js: false });
    await expect(guest.getByRole('heading', { name: 'Choose an organization' })).toBeVisible();
    gatehouseCli(['org', 'invite', '--org', org.slug, '--email', email, '--role', 'org:member']);
    await guest.reload();
    const invitations = guest.getByRole('list', { name: 'Invitations' });
    await expect(invitations).toContainText(org.name);
    await invitations.getByRole('button', { name: `Join ${org.name}` }).click();
    await expect(guest).toHaveURL(/\/dashboard$/);
    await expect(guest.getByTestId('org-slug')).toHaveText(org.slug);
    await guest.context().close();
  });

  test('a role change and a removal reach the member at the next request; the last admin stays (no JavaScript)', async ({ page, browser }) => {
    const adminEmail = uniqueEmail('run-admin');
    const org = await signUpWithOrg(page, adminEmail);
    const member = await withoutJs(browser);
    const memberEmail = uniqueEmail('run-member');
    await signUpWithOrg(member, memberEmail, { js: false });
    gatehouseCli(['org', 'add-member', '--org', org.slug, '--email', memberEmail, '--role', 'org:member']);
    // Visiting the organization's page makes it the member's active one (organization sync).
    await member.goto(`/orgs/${org.slug}`);
    await expect(member.getByTestId('members')).toContainText(`${memberEmail} — org:member`);
    await expect(member.getByRole('button', { name: 'Remove member' })).toHaveCount(0);
    await expect(member.getByRole('button', { name: 'Send invitation' })).toHaveCount(0);
    await member.goto('/dashboard');
    await expect(member.getByTestId('org-role')).toHaveText('org:member');

    const admin = await withoutJs(browser);
    await admin.context().addCookies(await page.context().cookies());
    await admin.goto(`/orgs/${org.slug}/settings`);
    const members = section(admin, 'Members');
    await members.getByLabel(`Role of ${memberEmail}`).selectOption('org:admin');
    await members.getByRole('button', { name: 'Change role' }).click();
    await expect(admin.getByText('Role changed')).toBeVisible();
    await member.goto('/dashboard');
    await expect(member.getByTestId('org-role')).toHaveText('org:admin');

    await section(admin, 'Members').getByRole('button', { name: `Remove member ${memberEmail}` }).click();
    await expect(admin.getByText('Member removed')).toBeVisible();
    await expect(admin.getByTestId('members')).not.toContainText(memberEmail);
    // The member's session lost the organization: back to choosing one.
    await member.goto('/dashboard');
    await expect(member.getByRole('heading', { name: 'Choose an organization' })).toBeVisible();

    // The last admin can neither leave nor be left without an admin.
    await section(admin, 'Leave organization').getByRole('button', { name: 'Leave organization' }).click();
    await expect(admin.getByRole('alert').filter({ hasText: 'at least one admin' })).toBeVisible();
    await admin.goto('/dashboard');
    await expect(admin.getByTestId('org-slug')).toHaveText(org.slug);
    await member.context().close();
    await admin.context().close();
  });

  test('a verified domain suggests the organization: Request to join, an admin approves (no JavaScript)', async ({ page, browser }) => {
    const org = await signUpWithOrg(page, uniqueEmail('dom-admin'));
    const domain = `d${Date.now() % 1e9}${Math.floor(Math.random() * 1e4)}.test`;
    const admin = await withoutJs(browser);
    await admin.context().addCookies(await page.context().cookies());
    await admin.goto(`/orgs/${org.slug}/settings`);
    const domains = section(admin, 'Domains');
    await domains.getByLabel('Domain', { exact: true }).fill('gmail.com');
    await domains.getByRole('button', { name: 'Add domain' }).click();
    await expect(section(admin, 'Domains').getByText("This is a common mail provider's domain.")).toBeVisible();
    await section(admin, 'Domains').getByLabel('Domain', { exact: true }).fill(domain);
    await section(admin, 'Domains').getByLabel('Enrollment mode', { exact: true }).selectOption('automatic_suggestion');
    await section(admin, 'Domains').getByRole('button', { name: 'Add domain' }).click();
    await expect(admin.getByText('Domain added')).toBeVisible();
    await expect(admin.getByTestId('domain')).toContainText(`${domain} — unverified`);
    // Verified by the code mailed to an address at the domain.
    await section(admin, 'Domains').getByLabel(`Email address at ${domain}`).fill(`it@${domain}`);
    await section(admin, 'Domains').getByRole('button', { name: 'Send code' }).click();
    await expect(admin.getByText('Verification code sent')).toBeVisible();
    const code = await latestCode(`it@${domain}`);
    await section(admin, 'Domains').getByLabel(`Verification code for ${domain}`).fill(code);
    await section(admin, 'Domains').getByRole('button', { name: 'Verify' }).click();
    await expect(admin.getByText('Domain verified')).toBeVisible();
    await expect(admin.getByTestId('domain')).toContainText(`${domain} — verified`);

    // A new user at the domain is offered the organization on the task page.
    const sue = await withoutJs(browser);
    const sueEmail = `sue@${domain}`;
    await signUp(sue, sueEmail, { js: false });
    await expect(sue.getByRole('heading', { name: 'Choose an organization' })).toBeVisible();
    const suggestions = sue.getByRole('list', { name: 'Suggestions' });
    await suggestions.getByRole('button', { name: `Request to join ${org.name}` }).click();
    await expect(sue.getByRole('list', { name: 'Suggestions' }).getByTestId('requested')).toHaveText('Requested');

    // The admin approves; Sue's list now has the organization.
    await admin.goto(`/orgs/${org.slug}/settings`);
    await section(admin, 'Membership requests').getByRole('button', { name: `Approve ${sueEmail}` }).click();
    await expect(admin.getByText('Request approved')).toBeVisible();
    await expect(admin.getByTestId('members')).toContainText(`${sueEmail} — org:member`);
    await sue.reload();
    await sue.getByRole('list', { name: 'Your organizations' }).getByRole('button', { name: new RegExp(org.name) }).click();
    await expect(sue).toHaveURL(/\/dashboard$/);
    await expect(sue.getByTestId('org-slug')).toHaveText(org.slug);
    await sue.context().close();
    await admin.context().close();
  });
});

test.describe('organization sync with personal accounts', () => {
  test.use({ baseURL: `http://127.0.0.1:${PERSONAL_APP_PORT}` });

  test('/orgs/:slug activates the organization and /me the personal account (no JavaScript)', async ({ browser }) => {
    const page = await withoutJs(browser);
    const email = uniqueEmail('personal');
    // Personal accounts are allowed: no choose-organization task after sign-up.
    await signUp(page, email, { js: false });
    await expect(page).toHaveURL(/\/dashboard$/);
    await expect(page.getByTestId('org-slug')).toHaveText('—');

    const org = uniqueOrg('Personal');
    gatehouseCli(['org', 'create', '--name', org.name, '--slug', org.slug, '--owner', email], 'target/e2e-personal');
    await page.goto(`/orgs/${org.slug}`);
    await page.goto('/dashboard');
    await expect(page.getByTestId('org-slug')).toHaveText(org.slug);

    await page.goto('/me');
    await expect(page.getByTestId('me-active')).toHaveText('Personal account');
    await page.goto('/dashboard');
    await expect(page.getByTestId('org-slug')).toHaveText('—');
    await expect(page.getByTestId('org-role')).toHaveText('—');

    // An organization the user is not a member of is not found, and changes nothing.
    const stranger = await page.goto(`/orgs/${org.slug}-x`);
    expect(stranger?.status()).toBe(404);
    await page.goto('/dashboard');
    await expect(page.getByTestId('org-slug')).toHaveText('—');
    await page.context().close();
  });
});
