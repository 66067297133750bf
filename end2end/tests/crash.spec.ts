import { test, expect } from '@playwright/test';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { PG_PORT } from './ports';

// Two instances of our own on one PostgreSQL database (a new database on the harness's server),
// 200 concurrent complete sign-ups spread over both, and one instance killed with SIGKILL while
// they run: every sign-up that was acknowledged exists, and the other instance kept serving.
const ROOT = path.resolve(__dirname, '..', '..');
const BINARY = path.join(ROOT, 'target/release/gatehouse');
const PG_BIN = readdirSync('/usr/lib/postgresql').sort().map((v) => `/usr/lib/postgresql/${v}/bin`).pop()!;
const PORTS = [3106, 3107];
const PASSWORD = 'correct-horse-battery';

function startInstance(port: number, databaseUrl: string, dir: string): ChildProcess {
  return spawn(BINARY, ['serve'], {
    cwd: ROOT,
    stdio: 'ignore',
    env: {
      ...process.env,
      GATEHOUSE_CONFIG: 'demo.toml',
      DATABASE_URL: databaseUrl,
      GATEHOUSE_EMAIL__OUTBOX_DIR: path.join(dir, `outbox-${port}`),
      LEPTOS_SITE_ROOT: 'target/site',
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      GATEHOUSE_INSTANCE__PUBLIC_URL: `http://127.0.0.1:${port}`,
      // Every sign-up comes from 127.0.0.1: the per-IP limit would refuse most of them.
      GATEHOUSE_RATE_LIMITS__ENABLED: 'false',
      RUST_LOG: 'warn',
    },
  });
}

async function healthy(base: string): Promise<void> {
  for (let tries = 0; tries < 240; tries++) {
    const ok = await fetch(`${base}/healthz`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${base} did not come up`);
}

/** POSTs a form the way a browser without JavaScript would; throws when the server is gone. */
async function post(base: string, route: string, fields: Record<string, string>, cookie?: string) {
  const headers: Record<string, string> = {
    Origin: base, Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded',
  };
  if (cookie) headers.Cookie = cookie;
  const response = await fetch(base + route, { method: 'POST', headers, body: new URLSearchParams(fields), redirect: 'manual' });
  await response.arrayBuffer();
  return { status: response.status, cookies: response.headers.getSetCookie().map((c) => c.split(';')[0]) };
}

const codes = new Map<string, string>(); // recipient → code, from the outbox files read so far
const read = new Set<string>();

/** The code mailed to `email` (in `outbox`), waiting for the message to land. */
async function codeFor(outbox: string, email: string): Promise<string> {
  for (let tries = 0; tries < 600 && !codes.has(email); tries++) {
    for (const name of readdirSync(outbox)) {
      const file = path.join(outbox, name);
      if (read.has(file)) continue;
      const text = readFileSync(file, 'utf8');
      const to = /^To: .*?([^\s<>]+@[^\s<>]+)/m.exec(text);
      const code = /\b(\d{6})\b/.exec(text.slice(text.indexOf('\r\n\r\n')));
      if (!to || !code) continue; // not completely written yet: read it again next time
      read.add(file);
      codes.set(to[1], code[1]);
    }
    if (!codes.has(email)) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const code = codes.get(email);
  if (!code) throw new Error(`no code for ${email}`);
  return code;
}

test('kill -9 one of two instances during 200 concurrent sign-ups: every acknowledged sign-up exists, the other kept serving', async () => {
  test.setTimeout(240_000);
  const database = `crash_${Date.now()}`;
  execFileSync(`${PG_BIN}/createdb`, ['-h', '127.0.0.1', '-p', String(PG_PORT), '-U', 'postgres', database]);
  const databaseUrl = `postgres://postgres@127.0.0.1:${PG_PORT}/${database}`;
  const dir = path.join(ROOT, 'target/e2e-crash');
  rmSync(dir, { recursive: true, force: true });
  for (const port of PORTS) mkdirSync(path.join(dir, `outbox-${port}`), { recursive: true });
  const [a, b] = PORTS.map((port) => startInstance(port, databaseUrl, dir));
  try {
    const [baseA, baseB] = PORTS.map((port) => `http://127.0.0.1:${port}`);
    await healthy(baseA);
    await healthy(baseB);

    const acknowledged: string[] = [];
    const failedOnB: string[] = [];
    let killed = false;
    const run = Date.now().toString(36);
    const signUp = async (i: number) => {
      const onA = i % 2 === 0;
      const base = onA ? baseA : baseB;
      const email = `crash-${run}-${i}@example.com`;
      try {
        const started = await post(base, '/api/auth/sign_up', { email_address: email, password: PASSWORD });
        if (started.status !== 200) throw new Error(`sign_up: HTTP ${started.status}`);
        const code = await codeFor(path.join(dir, `outbox-${PORTS[onA ? 0 : 1]}`), email);
        const verified = await post(base, '/api/auth/verify_email_code', { code }, started.cookies.join('; '));
        if (verified.status !== 200 || verified.cookies.length === 0) throw new Error(`verify: HTTP ${verified.status}`);
        acknowledged.push(email);
        // Kill A once a quarter of the sign-ups are through: the rest of A's are cut mid-way.
        if (!killed && acknowledged.length >= 50) {
          killed = true;
          a.kill('SIGKILL');
        }
      } catch (error) {
        if (!onA) failedOnB.push(`${email}: ${error}`);
      }
    };
    await Promise.all(Array.from({ length: 200 }, (_, i) => signUp(i)));

    expect(killed).toBe(true);
    expect(failedOnB).toEqual([]);
    expect(acknowledged.length).toBeGreaterThanOrEqual(100);
    // Every acknowledged sign-up is in the database (the operator CLI lists the users).
    const users = execFileSync(BINARY, ['user', 'list'], {
      cwd: ROOT, env: { ...process.env, DATABASE_URL: databaseUrl, GATEHOUSE_CONFIG: 'demo.toml' },
    }).toString();
    const missing = acknowledged.filter((email) => !users.includes(email));
    expect(missing).toEqual([]);
    // B still serves, and signs in a user whose sign-up A acknowledged before it died.
    const fromA = acknowledged.find((email) => Number(email.split('-').pop()!.split('@')[0]) % 2 === 0)!;
    const signedIn = await post(baseB, '/api/auth/sign_in', { identifier: fromA, password: PASSWORD });
    expect(signedIn.status).toBe(200);
    expect(signedIn.cookies.length).toBeGreaterThan(0);
  } finally {
    a.kill('SIGKILL');
    b.kill('SIGKILL');
  }
});
