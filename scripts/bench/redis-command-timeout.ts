// What node-redis's per-command timeout (`commandOptions.timeout`, an AbortSignal.timeout per
// command) costs: 10 concurrent loops of the three commands a Redis cache hit sends in sequence
// (GET, MGET, MGET), against a private redis-server, without and with the timeout, twice each.
// Usage: npx tsx scripts/bench/redis-command-timeout.ts [--seconds 3]
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { createClient } from 'redis';
import { freePort } from './lib.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '3' } } });
const seconds = Number(values.seconds);
const port = await freePort();
const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
await new Promise((resolve) => setTimeout(resolve, 500));
try {
  for (const timeout of [undefined, 500, undefined, 500]) {
    const client = createClient({ url: `redis://127.0.0.1:${port}`, ...(timeout ? { commandOptions: { timeout } } : {}) });
    await client.connect();
    await client.set('entry', 'x'.repeat(300));
    const cpu0 = process.cpuUsage();
    const start = Date.now();
    let rounds = 0;
    await Promise.all(Array.from({ length: 10 }, async () => {
      while (Date.now() - start < seconds * 1000) {
        await client.get('hosts');
        await client.mGet(['identity', 'types']);
        await client.mGet(['entry', 'g1', 'g2']);
        rounds++;
      }
    }));
    const cpu = process.cpuUsage(cpu0);
    console.log(`timeout ${timeout ?? 'none'}: ${Math.round(rounds / seconds)} rounds/s of 3 commands, ${((cpu.user + cpu.system) / rounds).toFixed(1)} µs CPU per round`);
    await client.quit();
  }
} finally {
  server.kill('SIGTERM');
}
