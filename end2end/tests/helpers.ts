import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import * as path from 'node:path';
import { expect, type Page, type APIRequestContext, request as playwrightRequest } from '@playwright/test';
import { MAIL_SMTP_PORT, MAIL_WEB_PORT } from './ports';

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

/**
 * The 6-digit code in the latest verification email to `address` (newer than `count` messages).
 * Security notices ("Your password was changed", …) carry no code and are passed over.
 */
export async function latestCode(address: string, count = 0): Promise<string> {
  let code: string | undefined;
  await expect
    .poll(async () => {
      const mails = (await mailsFor(address)).slice(count);
      code = mails
        .map((mail) => /^(\d{6}) /.exec(mail.subject)?.[1] ?? /\b(\d{6})\b/.exec(mail.text)?.[1])
        .filter((found) => found !== undefined)
        .pop();
      return code !== undefined;
    }, { timeout: 15_000, message: `a mail with a 6-digit code to ${address}` })
    .toBe(true);
  return code!;
}

/**
 * Waits until every island of the page has hydrated (an island renders `data-hydrated="false"`
 * on the server). A page without islands is done once loaded.
 */
export async function hydrated(page: Page): Promise<void> {
  await page.waitForLoadState('load');
  await expect(page.locator('[data-hydrated="false"]')).toHaveCount(0);
}

/** Signs up through the UI and verifies the emailed code; ends on the page after sign-up. */
export async function signUp(page: Page, email: string, opts: { js?: boolean } = {}): Promise<void> {
  const js = opts.js ?? true;
  await page.goto('/sign-up');
  if (js) await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Create your account' })).toBeVisible();
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Verify your email' })).toBeVisible();
  await expect(page).toHaveURL(/\/sign-up\/verify-email-address/);
  const code = await latestCode(email);
  await page.getByLabel('Verification code').fill(code);
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
}

/** Signs in through the UI from the current sign-in page. */
export async function fillSignIn(page: Page, email: string, password = PASSWORD): Promise<void> {
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
}

/** A unique organization name and the slug the UI suggests for it. */
export function uniqueOrg(tag: string): { name: string; slug: string } {
  const n = `${Date.now() % 1e8}${Math.floor(Math.random() * 1e4)}`;
  return { name: `${tag} Org ${n}`, slug: `${tag.toLowerCase()}-org-${n}` };
}

/** Completes the choose-organization task by creating an organization. */
export async function createOrganization(page: Page, org: { name: string; slug: string }): Promise<void> {
  await expect(page.getByRole('heading', { name: 'Choose an organization' })).toBeVisible();
  await page.getByLabel('Name', { exact: true }).fill(org.name);
  await page.getByLabel('Slug').fill(org.slug);
  await page.getByRole('button', { name: 'Create organization' }).click();
}

/** Signs up, verifies, and (organizations being required in the demo) creates an organization. */
export async function signUpWithOrg(
  page: Page,
  email: string,
  opts: { js?: boolean; org?: { name: string; slug: string } } = {},
): Promise<{ name: string; slug: string }> {
  const org = opts.org ?? uniqueOrg('Test');
  await signUp(page, email, { js: opts.js });
  await createOrganization(page, org);
  await expect(page).toHaveURL(/\/dashboard$/);
  return org;
}

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Runs the operator CLI against the main end-to-end instance's database. */
export function gatehouseCli(args: string[], e2eDir = 'target/e2e'): string {
  return execFileSync(path.join(REPO_ROOT, 'target/release/gatehouse'), args, {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      GATEHOUSE_CONFIG: 'demo.toml',
      DATABASE_URL: `sqlite://${e2eDir}/gatehouse.db?mode=rwc`,
      // The server's mail settings: what the CLI sends (an invitation) reaches maildev too.
      GATEHOUSE_EMAIL__SMTP_URL: `smtp://127.0.0.1:${MAIL_SMTP_PORT}`,
      RUST_LOG: 'warn',
    },
    encoding: 'utf8',
  });
}

function base32Decode(input: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of input.replace(/=+$/, '').toUpperCase()) {
    const index = alphabet.indexOf(ch);
    if (index < 0) throw new Error(`bad base32 character ${ch}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 6238 TOTP (SHA1, 6 digits, 30 s), as an authenticator app computes it. */
export function totp(secretBase32: string, timeMs = Date.now()): string {
  const counter = Math.floor(timeMs / 1000 / 30);
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const digest = createHmac('sha1', base32Decode(secretBase32)).update(message).digest();
  const offset = digest[digest.length - 1] & 0x0f;
  const code = (digest.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return code.toString().padStart(6, '0');
}
