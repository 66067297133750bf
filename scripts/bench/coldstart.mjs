// Cold start: spawns the server (environment inherited) on a fresh database and prints the time
// from spawn to the first 200 from /healthz, polling every millisecond. Leaves it running; its
// pid goes to stdout's last line so the caller can stop it and read its peak RSS.
// Usage: node scripts/bench/coldstart.mjs <binary> <base-url> <log-file>
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';

const [binary, base, logFile] = process.argv.slice(2);
const log = openSync(logFile, 'a');
const started = performance.now();
const server = spawn(binary, ['serve'], { stdio: ['ignore', log, log], detached: true });
server.unref();
let exited = null; // a server that cannot start (its port taken) must not pass for one that did
server.on('exit', (code, signal) => { exited = signal ?? code; });

for (;;) {
  if (exited !== null) {
    console.error(`the server exited (${exited}) before answering: see ${logFile}`);
    process.exit(1);
  }
  try {
    const response = await fetch(`${base}/healthz`);
    await response.arrayBuffer();
    if (response.status === 200) break;
  } catch {
    // not listening yet
  }
  if (performance.now() - started > 30_000) {
    console.error('the server did not answer within 30 s');
    process.exit(1);
  }
  await new Promise((resolve) => setTimeout(resolve, 1));
}
console.log(`cold start to first 200: ${(performance.now() - started).toFixed(0)} ms`);
console.log(server.pid);
