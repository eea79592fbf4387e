import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { rawStatus, sendRequest, startServerProcess, stopAllProcesses, sleep } from '/work/main/test/helpers/process.ts';
const dir = mkdtempSync(path.join(tmpdir(), 'jt-scratch-'));
const creds = { user: 'ops@example.com', password: 'ops-password-123' };
for (let i = 0; i < 6; i++) {
  const s = await startServerProcess({ DATABASE_URL: `file:${dir}/db.db`, ADMIN_EMAIL: creds.user, ADMIN_PASSWORD: creds.password, AUTH_RATE_LIMIT_PER_IP: '1000', AUTH_RATE_LIMIT_PER_LOGIN: '1000' });
  await s.request('POST', '/api/v1/auth', { body: creds });
  const inflight = Array.from({ length: 8 }, () => sendRequest(s.url, 'POST', '/api/v1/auth', { body: creds }));
  await Promise.all(inflight.map((r) => r.sent));
  const barrier = i % 2 === 1;
  if (barrier) await rawStatus(`${s.url}/healthz`);
  s.child.kill('SIGTERM');
  const res = await Promise.allSettled(inflight.map((r) => r.response));
  const exit = await s.waitForExit(15000);
  console.log(JSON.stringify({ barrier, outcomes: res.map((r) => (r.status === 'fulfilled' ? r.value.status : (r.reason as any).code)).join(','), exit: exit?.code }));
}
await stopAllProcesses();
