// Bench-only preload (`node --import ./scripts/bench/loop-monitor.ts`, used by soak.ts): every
// SOAK_SAMPLE_MS (default 10000) writes this process's memory and event-loop delay since the
// last sample as one `soak-sample {json}` line on stderr. Production code knows nothing of it.
import { monitorEventLoopDelay } from 'node:perf_hooks';

const every = Number(process.env.SOAK_SAMPLE_MS ?? 10_000);
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
const ms = (ns: number) => Math.round(ns / 1e4) / 100;

setInterval(() => {
  const memory = process.memoryUsage();
  const sample = {
    at: Date.now(),
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    loopMeanMs: ms(delay.mean),
    loopP99Ms: ms(delay.percentile(99)),
    loopMaxMs: ms(delay.max),
  };
  delay.reset();
  process.stderr.write(`soak-sample ${JSON.stringify(sample)}\n`);
}, every).unref();
