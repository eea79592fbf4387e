// Shared pieces of the benchmarks: start a real server process, run autocannon, take medians.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';

export const ROOT = path.resolve(import.meta.dirname, '../..');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export interface Process {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Spawns `node --import tsx [--import <preload>…] <script>` with env, waits until `readyPath`
 * answers. With `onStderrLine`, stderr is read line by line instead of passed through.
 */
export async function startProcess(
  script: string,
  env: Record<string, string>,
  readyPath = '/healthz',
  options: { preload?: string[]; onStderrLine?: (line: string) => void; nodeArgs?: string[]; cwd?: string } = {},
): Promise<Process> {
  const port = await freePort();
  const preload = (options.preload ?? []).flatMap((file) => ['--import', file]);
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', ...preload, script], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', options.onStderrLine ? 'pipe' : 'inherit'],
  });
  if (options.onStderrLine) {
    const onLine = options.onStderrLine;
    let pending = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop()!;
      for (const line of lines) onLine(line);
    });
  }
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}`);
    try {
      if ((await fetch(url + readyPath)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${script} did not become ready`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}

export function tempDatabaseUrl(): string {
  return `file:${path.join(mkdtempSync(path.join(tmpdir(), 'jetstack-bench-')), 'bench.db')}`;
}

export interface Run {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** Responses received, and how many of each status. */
  total: number;
  statuses: Record<string, number>;
  timeouts: number;
}

export async function load(options: {
  url: string;
  headers?: Record<string, string>;
  connections: number;
  seconds: number;
  method?: string;
  body?: string;
  /** Called before each request: the path to send (e.g. a new id each time). */
  nextPath?: () => string;
}): Promise<Run> {
  const nextPath = options.nextPath;
  const result = await autocannon({
    url: options.url,
    headers: options.headers,
    method: (options.method ?? 'GET') as 'GET',
    body: options.body,
    connections: options.connections,
    duration: options.seconds,
    ...(nextPath ? { requests: [{ setupRequest: (request: autocannon.Request) => ({ ...request, path: nextPath() }) }] } : {}),
  });
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    total: result.requests.total,
    statuses: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, (stats as { count: number }).count])),
    timeouts: result.timeouts,
  };
}

const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU time a process has used so far (all its threads, user + system), in ms, from /proc. Per
 * request it is steadier than throughput on a shared machine: other processes' load slows the
 * rounds, not the work each request costs. Resolution: 10 ms (clock ticks).
 */
export function cpuMs(pid: number, thread?: number): number {
  const stat = readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8');
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** CPU of the main (JavaScript) thread alone; the rest is GC helpers, the thread pool, the compiler. */
export const mainThreadCpuMs = (pid: number) => cpuMs(pid, pid);

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
