// 200 (or argv[4]) complete sign-ups at once against a running server: each starts a sign-up,
// reads its code from the outbox, verifies it and must end with a session cookie.
// Usage: node scripts/bench/signups.mjs <base-url> <outbox-dir> [count]
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

const [base, outbox, countArg] = process.argv.slice(2);
const count = Number(countArg ?? 200);
const password = 'correct-horse-battery';
const run = Date.now().toString(36);

/** POSTs a form to a server function the way a browser without JavaScript would. */
async function post(path, fields, cookie) {
  const headers = { Origin: base, Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' };
  if (cookie) headers.Cookie = cookie;
  const response = await fetch(base + path, { method: 'POST', headers, body: new URLSearchParams(fields), redirect: 'manual' });
  const cookies = response.headers.getSetCookie().map((c) => c.split(';')[0]);
  await response.arrayBuffer();
  return { status: response.status, cookies };
}

const codes = new Map(); // recipient → code, from the outbox files read so far
const seen = new Set();

/** Reads the outbox files not read yet and records the code each one carries. */
async function scanOutbox() {
  for (const name of await readdir(outbox)) {
    if (seen.has(name)) continue;
    const text = await readFile(join(outbox, name), 'utf8').catch(() => '');
    const to = /^To: .*?([^\s<>]+@[^\s<>]+)/m.exec(text);
    const code = /\b(\d{6})\b/.exec(text.slice(text.indexOf('\r\n\r\n')));
    if (!to || !code) continue; // not completely written yet: read it again next time
    seen.add(name);
    codes.set(to[1], code[1]);
  }
}

let scanning; // one scan at a time, shared by every waiting sign-up
const scan = () => (scanning ??= scanOutbox().finally(() => { scanning = undefined; }));

/** The 6-digit code emailed to `email`, waiting up to 30 s for the message to land. */
async function codeFor(email) {
  for (let tries = 0; tries < 300 && !codes.has(email); tries++) {
    await scan();
    if (!codes.has(email)) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (!codes.has(email)) throw new Error(`no code for ${email}`);
  return codes.get(email);
}

async function signUp(i) {
  const email = `load-${run}-${i}@bench.example`;
  const started = await post('/api/auth/sign_up', { email_address: email, password });
  if (started.status !== 200) throw new Error(`sign_up ${email}: HTTP ${started.status}`);
  const code = await codeFor(email);
  const verified = await post('/api/auth/verify_email_code', { code }, started.cookies.join('; '));
  if (verified.status !== 200) throw new Error(`verify ${email}: HTTP ${verified.status}`);
  if (verified.cookies.length === 0) throw new Error(`verify ${email}: no session cookie`);
}

const begin = performance.now();
const results = await Promise.allSettled(Array.from({ length: count }, (_, i) => signUp(i)));
const errors = results.filter((r) => r.status === 'rejected');
const seconds = ((performance.now() - begin) / 1000).toFixed(1);
console.log(`${count} concurrent complete sign-ups: ${count - errors.length} ok, ${errors.length} errors, ${seconds} s`);
for (const e of errors.slice(0, 5)) console.log(`  ${e.reason.message}`);
process.exit(errors.length === 0 ? 0 : 1);
