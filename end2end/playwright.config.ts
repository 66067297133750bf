import { defineConfig } from '@playwright/test';
import {
  APP_PORT, MAIL_SMTP_PORT, MAIL_WEB_PORT, MFA_APP_PORT, MINIMAL_APP_PORT, OIDC_IDTOKEN_PORT, OIDC_PORT, PG_APP_B_PORT,
  PASSKEY_APP_PORT, PERSONAL_APP_PORT, PG_APP_PORT, PG_PORT, TRUST_APP_PORT,
} from './tests/ports';

// Every instance has the same three SSO connections: to the harness's OpenID provider in its
// default mode (claims from UserInfo), a social one ("Continue with Test IdP") and an enterprise
// one for @acme.test; and a social one ("Continue with ID Token IdP") to a second provider that
// puts the claims in the ID token, as some hosted IdPs do.
const SSO_CONNECTIONS = `[
  { key = "testidp", name = "Test IdP", issuer = "http://127.0.0.1:${OIDC_PORT}", client_id = "gatehouse-social", client_secret = "social-secret" },
  { key = "acme", name = "Acme", issuer = "http://127.0.0.1:${OIDC_PORT}", client_id = "gatehouse-acme", client_secret = "acme-secret", domains = ["acme.test"] },
  { key = "idtoken", name = "ID Token IdP", issuer = "http://127.0.0.1:${OIDC_IDTOKEN_PORT}", client_id = "gatehouse-idtoken", client_secret = "idtoken-secret" },
]`;
const APP_ORIGINS = [APP_PORT, MFA_APP_PORT, TRUST_APP_PORT, PERSONAL_APP_PORT, MINIMAL_APP_PORT, PG_APP_PORT, PG_APP_B_PORT].map((port) => `http://127.0.0.1:${port}`);

// The harness starts every peer itself on loopback and Playwright stops them all at the end,
// also when a test fails: maildev (SMTP sink + REST API) and the Gatehouse server built by
// `cargo leptos build --release --precompress` (run from the repository root so it finds
// target/site): the suite runs against the optimized build users get.
const chromiumArgs = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: true,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${APP_PORT}`,
    trace: 'retain-on-failure',
    launchOptions: { executablePath: '/usr/bin/chromium', args: chromiumArgs },
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
  webServer: [
    {
      command: `node_modules/.bin/maildev --ip 127.0.0.1 --smtp ${MAIL_SMTP_PORT} --web ${MAIL_WEB_PORT} --silent`,
      url: `http://127.0.0.1:${MAIL_WEB_PORT}/api/email`,
      reuseExistingServer: false,
      timeout: 60_000,
    },
    {
      // A real OpenID provider with its own login and consent pages (oidc-provider.mjs), in its
      // default mode: the ID token carries `sub`, UserInfo the email and names.
      command: `node oidc-provider.mjs ${OIDC_PORT} ${APP_ORIGINS.join(' ')}`,
      url: `http://127.0.0.1:${OIDC_PORT}/.well-known/openid-configuration`,
      reuseExistingServer: false,
      timeout: 60_000,
      stderr: 'pipe',
    },
    {
      // The same provider, with the scope claims in the ID token too (conformIdTokenClaims: false).
      command: `node oidc-provider.mjs --claims-in-id-token ${OIDC_IDTOKEN_PORT} ${APP_ORIGINS.join(' ')}`,
      url: `http://127.0.0.1:${OIDC_IDTOKEN_PORT}/.well-known/openid-configuration`,
      reuseExistingServer: false,
      timeout: 60_000,
      stderr: 'pipe',
    },
    {
      command: 'bash end2end/start-app.sh',
      cwd: '..',
      url: `http://127.0.0.1:${APP_PORT}/healthz`,
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: 'pipe',
      env: {
        LEPTOS_SITE_ADDR: `127.0.0.1:${APP_PORT}`,
        GATEHOUSE_EMAIL__SMTP_URL: `smtp://127.0.0.1:${MAIL_SMTP_PORT}`,
        GATEHOUSE_INSTANCE__PUBLIC_URL: `http://127.0.0.1:${APP_PORT}`,
        // Every test runs from 127.0.0.1: a high per-IP limit (the Rust suite tests the limit).
        GATEHOUSE_RATE_LIMITS__MAX_REQUESTS: '1000',
        GATEHOUSE_SSO__CONNECTIONS: SSO_CONNECTIONS,
        // Session tokens live 5 s here, so tokens.spec.ts can watch one expire.
        GATEHOUSE_TOKENS__LIFETIME_SECONDS: '5',
      },
    },
    {
      // A second instance: MFA required, and no task_urls, so tasks use the embedded
      // /sign-in/tasks/<key> route.
      command: 'bash end2end/start-app.sh',
      cwd: '..',
      url: `http://127.0.0.1:${MFA_APP_PORT}/healthz`,
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: 'pipe',
      env: {
        E2E_DIR: 'target/e2e-mfa',
        LEPTOS_SITE_ADDR: `127.0.0.1:${MFA_APP_PORT}`,
        GATEHOUSE_EMAIL__SMTP_URL: `smtp://127.0.0.1:${MAIL_SMTP_PORT}`,
        GATEHOUSE_INSTANCE__PUBLIC_URL: `http://127.0.0.1:${MFA_APP_PORT}`,
        GATEHOUSE_MFA__REQUIRED: 'true',
        GATEHOUSE_RATE_LIMITS__MAX_REQUESTS: '1000',
        GATEHOUSE_SSO__CONNECTIONS: SSO_CONNECTIONS,
        GATEHOUSE_INSTANCE__TASK_URLS: '{}',
      },
    },
    {
      // A third instance: client trust on.
      command: 'bash end2end/start-app.sh',
      cwd: '..',
      url: `http://127.0.0.1:${TRUST_APP_PORT}/healthz`,
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: 'pipe',
      env: {
        E2E_DIR: 'target/e2e-trust',
        LEPTOS_SITE_ADDR: `127.0.0.1:${TRUST_APP_PORT}`,
        GATEHOUSE_EMAIL__SMTP_URL: `smtp://127.0.0.1:${MAIL_SMTP_PORT}`,
        GATEHOUSE_INSTANCE__PUBLIC_URL: `http://127.0.0.1:${TRUST_APP_PORT}`,
        GATEHOUSE_CLIENT_TRUST__ENABLED: 'true',
        // Lower than the others: recovery.spec.ts sends 150 rapid posts to one endpoint here.
        GATEHOUSE_RATE_LIMITS__MAX_REQUESTS: '100',
        GATEHOUSE_SSO__CONNECTIONS: SSO_CONNECTIONS,
      },
    },
    {
      // A fourth instance: personal accounts allowed, so /me clears the active organization
      // that /orgs/:slug set (organization sync).
      command: 'bash end2end/start-app.sh',
      cwd: '..',
      url: `http://127.0.0.1:${PERSONAL_APP_PORT}/healthz`,
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: 'pipe',
      env: {
        E2E_DIR: 'target/e2e-personal',
        LEPTOS_SITE_ADDR: `127.0.0.1:${PERSONAL_APP_PORT}`,
        GATEHOUSE_EMAIL__SMTP_URL: `smtp://127.0.0.1:${MAIL_SMTP_PORT}`,
        GATEHOUSE_INSTANCE__PUBLIC_URL: `http://127.0.0.1:${PERSONAL_APP_PORT}`,
        GATEHOUSE_ORGANIZATIONS__ALLOW_PERSONAL_ACCOUNTS: 'true',
        GATEHOUSE_RATE_LIMITS__MAX_REQUESTS: '1000',
        GATEHOUSE_SSO__CONNECTIONS: SSO_CONNECTIONS,
      },
    },
    {
      // Passkeys: browsers refuse WebAuthn on an IP address, so this instance's public URL is
      // http://localhost (the relying party id), served on 127.0.0.1 like the others.
      command: 'bash end2end/start-app.sh',
      cwd: '..',
      url: `http://127.0.0.1:${PASSKEY_APP_PORT}/healthz`,
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: 'pipe',
      env: {
        E2E_DIR: 'target/e2e-passkeys',
        LEPTOS_SITE_ADDR: `127.0.0.1:${PASSKEY_APP_PORT}`,
        GATEHOUSE_EMAIL__SMTP_URL: `smtp://127.0.0.1:${MAIL_SMTP_PORT}`,
        GATEHOUSE_INSTANCE__PUBLIC_URL: `http://localhost:${PASSKEY_APP_PORT}`,
        GATEHOUSE_RATE_LIMITS__MAX_REQUESTS: '1000',
        GATEHOUSE_SSO__CONNECTIONS: SSO_CONNECTIONS,
      },
    },
    {
      // examples/minimal: another app on the kit, with Gatehouse's default configuration and the
      // same SSO connections (its callback page is written with the hooks).
      command: 'bash end2end/start-minimal.sh',
      cwd: '..',
      url: `http://127.0.0.1:${MINIMAL_APP_PORT}/healthz`,
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: 'pipe',
      env: {
        LEPTOS_SITE_ADDR: `127.0.0.1:${MINIMAL_APP_PORT}`,
        GATEHOUSE_INSTANCE__PUBLIC_URL: `http://127.0.0.1:${MINIMAL_APP_PORT}`,
        GATEHOUSE_RATE_LIMITS__MAX_REQUESTS: '1000',
        GATEHOUSE_SSO__CONNECTIONS: SSO_CONNECTIONS,
      },
    },
    {
      // A PostgreSQL of its own (a fresh cluster in target/e2e-postgres, stopped with the suite)
      // for two instances serving one user base (multi-instance.spec.ts).
      command: 'bash scripts/postgres.sh target/e2e-postgres/data ' + PG_PORT + ' --fresh',
      cwd: '..',
      port: PG_PORT,
      reuseExistingServer: false,
      timeout: 60_000,
      env: { PG_OPTS: '-c fsync=off -c max_connections=200' },
    },
    ...[PG_APP_PORT, PG_APP_B_PORT].map((port, index) => ({
      // Instances A and B on that database; both start at once, so the migrations run once
      // under sqlx's lock while the other waits.
      command: 'bash end2end/start-app.sh',
      cwd: '..',
      url: `http://127.0.0.1:${port}/healthz`,
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: 'pipe' as const,
      env: {
        E2E_DIR: `target/e2e-pg-${index ? 'b' : 'a'}`,
        E2E_DATABASE_URL: `postgres://postgres@127.0.0.1:${PG_PORT}/postgres`,
        LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
        GATEHOUSE_EMAIL__SMTP_URL: `smtp://127.0.0.1:${MAIL_SMTP_PORT}`,
        GATEHOUSE_INSTANCE__PUBLIC_URL: `http://127.0.0.1:${port}`,
        // Low enough for multi-instance.spec.ts to spend it on A and see 429 on B.
        GATEHOUSE_RATE_LIMITS__MAX_REQUESTS: '40',
        GATEHOUSE_SSO__CONNECTIONS: SSO_CONNECTIONS,
      },
    })),
  ],
});
