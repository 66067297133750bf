import { test, expect, type Browser, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fillSignIn, signUpWithOrg, uniqueEmail } from './helpers';

// The demo teaches: the home page's tour reaches every flow by a link and shows the code that
// renders it (the demo's own source, byte for byte); the account page's "Security activity"
// shows what happened to the account; every page works without JavaScript and passes axe.

const REPO_ROOT = path.resolve(__dirname, '..', '..');

async function withoutJs(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ javaScriptEnabled: false });
  return context.newPage();
}

/** The serious and critical axe violations of the page as it is now. */
async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
}

test.describe('the tour', () => {
  test('every stop links to its flow and shows the code that renders it, from the file (no JavaScript)', async ({ browser }) => {
    const page = await withoutJs(browser);
    await page.goto('/');
    const stops = page.getByTestId('tour-stop');
    await expect(stops).toHaveCount(13);
    for (const title of [
      'Sign-in and sign-up', 'Two-step verification', 'Client trust', 'Forgot password',
      'Single sign-on, social and enterprise', 'Session tasks', 'Organizations and invitations',
      'Several accounts in one browser', 'Reverification', 'Session tokens', 'Passkeys',
      'Custom flows', 'Control components',
    ]) {
      await expect(stops.getByRole('heading', { name: title, exact: true })).toBeVisible();
    }
    // Every link starts its flow: the page answers (a protected one sends a visitor to sign in).
    const hrefs = await stops.locator('a').evaluateAll((links) => links.map((a) => a.getAttribute('href') ?? ''));
    expect(hrefs).toHaveLength(13);
    for (const href of hrefs.filter((h) => h.startsWith('/'))) {
      const reply = await page.request.get(href);
      expect(reply.status(), href).toBeLessThan(400);
    }
    // Each code panel is a piece of the file it names, as it is in the repository now.
    const panels = await stops.evaluateAll((sections) => sections.map((section) => ({
      summary: section.querySelector('summary')?.textContent ?? '',
      code: section.querySelector('[data-testid="tour-code"]')?.textContent ?? '',
    })));
    for (const { summary, code } of panels) {
      const [, file, item] = /The code: (\S+), fn (\w+)/.exec(summary) ?? [];
      expect(file, summary).toBeTruthy();
      const source = fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
      expect(code, summary).toContain(`fn ${item}(`);
      expect(source.includes(code), `${summary}: the panel is not the file's text`).toBe(true);
    }
    // The custom flows' stop starts it.
    await page.getByRole('link', { name: 'The custom sign-in page' }).click();
    await expect(page).toHaveURL(/\/custom\/sign-in$/);
    await page.context().close();
  });

  test('the dashboard shows the session, what has() answers, and folds the Auth object away', async ({ page }) => {
    const email = uniqueEmail('tour-dash');
    await signUpWithOrg(page, email);
    await expect(page.getByTestId('session-status')).toHaveText('active');
    await expect(page.getByTestId('session-task')).toHaveText('none');
    await expect(page.getByTestId('org-role')).toHaveText('org:admin');
    const checks = page.getByTestId('has-check');
    await expect(checks).toHaveCount(4);
    await expect(checks.filter({ hasText: 'org:admin' })).toContainText('yes');
    await expect(checks.filter({ hasText: 'org:invoices:read' })).toContainText('no');
    await expect(page.getByTestId('auth-object')).toBeHidden();
    await page.getByText('The whole Auth object').click();
    await expect(page.getByTestId('auth-object')).toBeVisible();
  });
});

test.describe('security activity', () => {
  test('a failed sign-in, a password change and a signed-out device show on the account page (no JavaScript)', async ({ browser }) => {
    const page = await withoutJs(browser);
    const email = uniqueEmail('activity');
    await signUpWithOrg(page, email, { js: false });

    // Someone tries a wrong password; the owner signs in on a second browser.
    const stranger = await withoutJs(browser);
    await stranger.goto('/sign-in');
    await fillSignIn(stranger, email, 'not-the-password');
    await expect(stranger.getByText('Password is incorrect', { exact: false })).toBeVisible();
    const second = await withoutJs(browser);
    await second.goto('/sign-in');
    await fillSignIn(second, email);
    await expect(second).toHaveURL(/\/dashboard$|\/session-tasks\//);

    // The owner signs the other browser out and changes the password.
    await page.goto('/account');
    await page.getByRole('region', { name: 'Active devices' })
      .getByTestId('device').filter({ hasNotText: 'This device' })
      .getByRole('button', { name: /Sign out of/ }).click();
    await expect(page.getByText('Device signed out').first()).toBeVisible();
    const password = page.getByRole('region', { name: 'Password' });
    await password.getByLabel('New password').fill('another-horse-battery');
    await password.getByLabel('Confirm password').fill('another-horse-battery');
    await password.getByRole('button', { name: 'Update password' }).click();
    await expect(page.getByText('Password updated')).toBeVisible();

    const activity = page.getByRole('region', { name: 'Security activity' });
    await expect.poll(async () => {
      await page.goto('/account');
      return activity.getByTestId('activity').allTextContents();
    }, { timeout: 15_000 }).toEqual(expect.arrayContaining([
      expect.stringContaining('Another device was signed out'),
      expect.stringContaining('Password changed'),
      expect.stringContaining('Failed sign-in'),
    ]));
    await expect(activity.getByTestId('activity').filter({ hasText: 'Failed sign-in' })).toContainText('password');
    for (const context of [page.context(), stranger.context(), second.context()]) await context.close();
  });
});

test.describe('accessibility', () => {
  test('the pages as they come from the server pass axe with no serious violation', async ({ browser }) => {
    // The server's HTML only (the demo's scripts and wasm blocked): what a browser without
    // JavaScript shows. axe itself runs in the page.
    const context = await browser.newContext();
    await context.route(/\.(js|wasm)(\?.*)?$/, (route) => route.abort());
    const page = await context.newPage();
    for (const url of ['/', '/sign-in', '/sign-up', '/custom/sign-in']) {
      await page.goto(url);
      expect(await seriousViolations(page), url).toEqual([]);
    }
    const email = uniqueEmail('axe');
    const org = await signUpWithOrg(page, email, { js: false });
    for (const url of ['/', '/dashboard', '/account', `/orgs/${org.slug}`, `/orgs/${org.slug}/settings`]) {
      await page.goto(url);
      expect(await seriousViolations(page), url).toEqual([]);
    }
    await context.close();
  });
});
