import { expect, type Page, type APIRequestContext, request as playwrightRequest } from '@playwright/test';
import { MAIL_WEB_PORT } from './ports';

/** A fresh, unique email address for one test. */
export function uniqueEmail(tag: string): string {
  return `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

export const PASSWORD = 'correct-horse-battery';

interface MaildevEmail {
  subject: string;
  text: string;
  date: string;
  to: { address: string }[];
}

/** All messages maildev received for `address`, oldest first. */
export async function mailsFor(address: string): Promise<MaildevEmail[]> {
  const api: APIRequestContext = await playwrightRequest.newContext();
  try {
    const res = await api.get(`http://127.0.0.1:${MAIL_WEB_PORT}/api/email`);
    expect(res.ok()).toBeTruthy();
    const all = (await res.json()) as MaildevEmail[];
    return all.filter((m) => m.to.some((t) => t.address.toLowerCase() === address.toLowerCase()));
  } finally {
    await api.dispose();
  }
}

/** Waits for the latest message to `address` (newer than `count` messages) and returns it. */
export async function latestMail(address: string, count = 0): Promise<MaildevEmail> {
  let found: MaildevEmail | undefined;
  await expect
    .poll(async () => {
      const mails = await mailsFor(address);
      found = mails.length > count ? mails[mails.length - 1] : undefined;
      return mails.length;
    }, { timeout: 15_000 })
    .toBeGreaterThan(count);
  return found!;
}

/** The 6-digit code in the latest verification email to `address`. */
export async function latestCode(address: string, count = 0): Promise<string> {
  const mail = await latestMail(address, count);
  const match = /\b(\d{6})\b/.exec(mail.text);
  expect(match, `a 6-digit code in: ${mail.text}`).not.toBeNull();
  return match![1];
}

/** Waits until the page has hydrated (skipped when JavaScript is off). */
export async function hydrated(page: Page): Promise<void> {
  await expect(page.locator('main')).toHaveAttribute('data-hydrated', 'true');
}

/** Signs up through the UI and verifies the emailed code; ends on the page after sign-up. */
export async function signUp(page: Page, email: string, opts: { js?: boolean } = {}): Promise<void> {
  const js = opts.js ?? true;
  await page.goto('/sign-up');
  if (js) await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Create your account' })).toBeVisible();
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { name: 'Verify your email' })).toBeVisible();
  await expect(page).toHaveURL(/\/sign-up\/verify-email-address/);
  const code = await latestCode(email);
  await page.getByLabel('Verification code').fill(code);
  await page.getByRole('button', { name: 'Continue' }).click();
}

/** Signs in through the UI from the current sign-in page. */
export async function fillSignIn(page: Page, email: string, password = PASSWORD): Promise<void> {
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Continue' }).click();
}
