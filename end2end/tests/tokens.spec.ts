import { expect, test, type Browser, type Page } from '@playwright/test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { APP_PORT } from './ports';
import { fillSignIn, hydrated, signUpWithOrg, uniqueEmail } from './helpers';

// Session tokens: `get_token()` on the dashboard, the token used as `Authorization: Bearer` on
// the demo's API, checked by an independent JWT library (jose) against the JWKS, and the
// browser's cache following sign-outs and switches. The suite's main instance issues session
// tokens for 5 s (GATEHOUSE_TOKENS__LIFETIME_SECONDS in playwright.config.ts) so expiry can be
// watched; the `backend` template of demo.toml lives 300 s, so only a dropped cache explains a
// new one.

const ORIGIN = `http://127.0.0.1:${APP_PORT}`;

type Claims = { sub: string; sid: string; iss: string; azp?: string; exp: number; iat: number; v: number; o?: { slg: string; rol: string }; email?: string; jti: string };

async function newUser(browser: Browser, tag: string): Promise<{ email: string; slug: string }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const email = uniqueEmail(tag);
  const org = await signUpWithOrg(page, email);
  await context.close();
  return { email, slug: org.slug };
}

/** Clicks `button` on the dashboard's token panel; the token and its claims as shown. */
async function tokenFromPanel(page: Page, button: 'Get token' | 'Get backend token', previous?: string): Promise<{ jwt: string; claims: Claims }> {
  // The panel is an island: its buttons work once its code has run.
  await hydrated(page);
  await page.getByRole('button', { name: button, exact: true }).click();
  const shown = page.getByTestId('session-token');
  if (previous) await expect(shown).not.toHaveText(previous);
  await expect(shown).toHaveText(/^ey/);
  const jwt = (await shown.textContent()) ?? '';
  const claims = JSON.parse((await page.getByTestId('token-claims').textContent()) ?? '{}');
  return { jwt, claims };
}

async function authOnPage(page: Page): Promise<{ userId: string; sessionId: string; orgSlug: string }> {
  return JSON.parse((await page.getByTestId('auth-object').textContent()) ?? '{}');
}

test.describe('session tokens', () => {
  test('get_token → the Bearer-protected route answers for the same user; jose verifies it; it stops at its expiry', async ({ page, browser, request }) => {
    const ada = await newUser(browser, 'token-ada');
    await page.goto('/sign-in');
    await hydrated(page);
    await fillSignIn(page, ada.email);
    await expect(page).toHaveURL(/\/dashboard$/);
    const auth = await authOnPage(page);

    // Two calls at once share one request; the answer is then cached.
    const tokenRequests: string[] = [];
    page.on('request', (r) => { if (r.url().includes('/api/auth/token')) tokenRequests.push(r.url()); });
    await page.getByRole('button', { name: 'Get token', exact: true }).dblclick();
    const { jwt, claims } = await tokenFromPanel(page, 'Get token');
    expect(tokenRequests).toHaveLength(1);
    expect(claims).toMatchObject({ sub: auth.userId, sid: auth.sessionId, iss: ORIGIN, azp: ORIGIN, v: 2 });
    expect(claims.o?.slg).toBe(ada.slug);
    expect(claims.exp - claims.iat).toBe(5);

    // Another process calls the demo's route with it (no cookie): the same user.
    const bearer = { Authorization: `Bearer ${jwt}` };
    const whoami = await request.get('/api/whoami', { headers: bearer });
    expect(whoami.status()).toBe(200);
    expect(await whoami.json()).toMatchObject({ userId: auth.userId, sessionId: auth.sessionId, orgSlug: ada.slug });
    const me = await request.get('/api/me', { headers: bearer });
    expect(me.status()).toBe(200);
    expect((await me.json()).userId).toBe(auth.userId);
    expect((await request.get('/api/whoami')).status()).toBe(401);

    // An independent implementation (jose) verifies it against the published keys.
    const jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', ORIGIN));
    const verified = await jwtVerify(jwt, jwks, { issuer: ORIGIN, algorithms: ['RS256'], clockTolerance: 5 });
    expect(verified.payload.sub).toBe(auth.userId);
    expect(verified.protectedHeader.kid).toMatch(/^ins_/);

    // Sign out: the instance refuses the token at once; a networkless verifier (the demo's
    // route) accepts it until it expires (exp + 5 s of clock skew), then answers 401.
    await page.getByRole('button', { name: 'Sign out', exact: true }).first().click();
    await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();
    expect((await request.get('/api/me', { headers: bearer })).status()).toBe(401);
    await expect
      .poll(async () => (await request.get('/api/whoami', { headers: bearer })).status(), { timeout: 20_000, intervals: [500] })
      .toBe(401);
    expect(Date.now() / 1000).toBeGreaterThan(claims.exp);
  });

  test('a switch or a sign-out drops the cached tokens at once', async ({ page, browser }) => {
    const ada = await newUser(browser, 'token-switch-ada');
    const bob = await newUser(browser, 'token-switch-bob');
    await page.goto('/sign-in');
    await hydrated(page);
    await fillSignIn(page, ada.email);
    await expect(page).toHaveURL(/\/dashboard$/);

    const first = await tokenFromPanel(page, 'Get backend token');
    expect(first.claims.email).toBe(ada.email);
    const again = await tokenFromPanel(page, 'Get backend token');
    expect(again.jwt).toBe(first.jwt); // cached: it lives 300 s

    // Add Bob and switch back to Ada: each state gets its own token.
    await page.getByLabel('Open user menu').click();
    await page.getByRole('link', { name: 'Add account' }).click();
    await fillSignIn(page, bob.email);
    await expect(page).toHaveURL(/\/dashboard$/);
    const bobs = await tokenFromPanel(page, 'Get backend token', first.jwt);
    expect(bobs.claims.email).toBe(bob.email);
    await page.getByLabel('Open user menu').click();
    await page.getByRole('button', { name: `Switch to ${ada.email}` }).click();
    await expect(page.getByTestId('user-email')).toHaveText(ada.email);
    const adas = await tokenFromPanel(page, 'Get backend token', bobs.jwt);
    expect(adas.claims.email).toBe(ada.email);

    // Sign out of all accounts and back in as Ada: a new token, not the cached one.
    await page.getByRole('button', { name: 'Sign out', exact: true }).first().click();
    await page.getByRole('link', { name: 'Sign in' }).click();
    await fillSignIn(page, ada.email);
    await expect(page).toHaveURL(/\/dashboard$/);
    const afterSignIn = await tokenFromPanel(page, 'Get backend token', adas.jwt);
    expect(afterSignIn.claims.jti).not.toBe(adas.claims.jti);
  });
});
