// 200 (or argv[4]) complete sign-ups at once against a running server: each starts a sign-up,
// reads its code from the outbox, verifies it and must end with a session cookie.
// With several instances (comma-separated base URLs, and each one's outbox folder in the same
// order), sign-up i starts on instance i mod n and enters its code on the next one, so every
// sign-up crosses instances (with one, both steps go to it).
// Usage: node scripts/bench/signups.mjs <base-url>[,<base-url>…] <outbox-dir>[,<outbox-dir>…] [count]
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

const [basesArg, outboxesArg, countArg] = process.argv.slice(2);
const bases = basesArg.split(',');
const outboxes = outboxesArg.split(',');
const count = Number(countArg ?? 200);
const password = 'correct-horse-battery';
const run = Date.now().toString(36);

/** POSTs a form to a server function the way a browser without JavaScript would. */
async function post(base, path, fields, cookie) {
  const headers = { Origin: base, Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' };
  if (cookie) headers.Cookie = cookie;
  const response = await fetch(base + path, { method: 'POST', headers, body: new URLSearchParams(fields), redirect: 'manual' });
  const cookies = response.headers.getSetCookie().map((c) => c.split(';')[0]);
  await response.arrayBuffer();
  return { status: response.status, cookies };
}

const codes = new Map(); // recipient → code, from the outbox files read so far
const seen = new Set();

/** Reads the outbox files not read yet (every instance's) and records the code each carries. */
async function scanOutbox() {
  for (const outbox of outboxes) {
    for (const name of await readdir(outbox).catch(() => [])) {
      const path = join(outbox, name);
      if (seen.has(path)) continue;
      const text = await readFile(path, 'utf8').catch(() => '');
      const to = /^To: .*?([^\s<>]+@[^\s<>]+)/m.exec(text);
      const code = /\b(\d{6})\b/.exec(text.slice(text.indexOf('\r\n\r\n')));
      if (!to || !code) continue; // not completely written yet: read it again next time
      seen.add(path);
      codes.set(to[1], code[1]);
    }
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
  const [first, second] = [bases[i % bases.length], bases[(i + 1) % bases.length]];
  const started = await post(first, '/api/auth/sign_up', { email_address: email, password });
  if (started.status !== 200) throw new Error(`sign_up ${email} on ${first}: HTTP ${started.status}`);
  const code = await codeFor(email);
  const verified = await post(second, '/api/auth/verify_email_code', { code }, started.cookies.join('; '));
  if (verified.status !== 200) throw new Error(`verify ${email} on ${second}: HTTP ${verified.status}`);
  if (verified.cookies.length === 0) throw new Error(`verify ${email}: no session cookie`);
}

const begin = performance.now();
const results = await Promise.allSettled(Array.from({ length: count }, (_, i) => signUp(i)));
const errors = results.filter((r) => r.status === 'rejected');
const seconds = ((performance.now() - begin) / 1000).toFixed(1);
const over = bases.length > 1 ? ` over ${bases.length} instances` : '';
console.log(`${count} concurrent complete sign-ups${over}: ${count - errors.length} ok, ${errors.length} errors, ${seconds} s`);
for (const e of errors.slice(0, 5)) console.log(`  ${e.reason.message}`);
process.exit(errors.length === 0 ? 0 : 1);
