// A PostgreSQL cluster of a test's own (initdb in a temp dir, loopback port, trust auth), so a
// fault test may stop and restart it without touching the shared server other tests use.
// Run as root, the cluster belongs to the system user `jetstack-pg` (initdb refuses root), as in
// scripts/ci/services.sh. Every wait is bounded.
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort, sleep } from './process.ts';

const run = promisify(execFile);
const PG_OS_USER = process.env.JETSTACK_PG_USER ?? 'jetstack-pg';

/** initdb and pg_ctl: PG_BIN, else PostgreSQL 15's directory, else any installed version's. */
export function pgBin(): string | null {
  const candidates = [process.env.PG_BIN, '/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin'];
  return candidates.find((dir) => dir && existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl'))) ?? null;
}

export interface PrivatePostgres {
  port: number;
  /** postgresql://jetstack@127.0.0.1:<port>/<database> */
  url(database?: string): string;
  /** A new empty database on the cluster; answers its URL. */
  createDatabase(name: string): Promise<string>;
  /** Fast shutdown (open connections are cut), bounded. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the cluster and removes its files (for `after` hooks; never throws). */
  destroy(): Promise<void>;
}

const isRoot = () => process.getuid?.() === 0;

async function asOwner(command: string, args: string[], timeoutMs: number) {
  const [file, argv] = isRoot() ? ['runuser', ['-u', PG_OS_USER, '--', command, ...args]] : [command, args];
  return run(file, argv, { timeout: timeoutMs, cwd: tmpdir() });
}

export async function startPrivatePostgres(options: { timeoutMs?: number } = {}): Promise<PrivatePostgres> {
  const bin = pgBin();
  if (!bin) throw new Error('PostgreSQL server binaries (initdb, pg_ctl) not found: set PG_BIN');
  const timeoutMs = options.timeoutMs ?? 30_000;
  const dir = mkdtempSync(path.join(tmpdir(), 'jetstack-fault-pg-'));
  const data = path.join(dir, 'data');
  const socketDir = path.join(dir, 'run');
  const log = path.join(dir, 'postgres.log');
  if (isRoot()) {
    const { stdout } = await run('id', ['-u', PG_OS_USER]);
    const { stdout: gid } = await run('id', ['-g', PG_OS_USER]);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const port = await freePort();
  await asOwner(path.join(bin, 'initdb'), ['-D', data, '-U', 'jetstack', '--auth=trust', '--encoding=UTF8', '--no-locale', '--no-instructions', '--no-sync'], timeoutMs);
  await asOwner('mkdir', ['-p', socketDir], 5_000);
  writeFileSync(path.join(data, 'pg_hba.conf'), 'local all all trust\nhost all all 127.0.0.1/32 trust\n');
  appendFileSync(
    path.join(data, 'postgresql.conf'),
    `\nlisten_addresses = '127.0.0.1'\nport = ${port}\nunix_socket_directories = '${socketDir}'\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\ntimezone = 'UTC'\nmax_connections = 100\n`,
  );
  const url = (database = 'postgres') => `postgresql://jetstack@127.0.0.1:${port}/${database}`;

  const ready = async () => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const client = new pg.Client({ connectionString: url(), connectionTimeoutMillis: 1_000 });
      try {
        await client.connect();
        await client.query('SELECT 1');
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`private PostgreSQL on ${port} not ready after ${timeoutMs} ms: ${(error as Error).message}`);
      } finally {
        await client.end().catch(() => undefined);
      }
      await sleep(100);
    }
  };
  const start = async () => {
    await asOwner(path.join(bin, 'pg_ctl'), ['-D', data, '-l', log, '-w', '-t', String(Math.ceil(timeoutMs / 1000)), 'start'], timeoutMs + 5_000);
    await ready();
  };
  const stop = async () => {
    await asOwner(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', '-t', String(Math.ceil(timeoutMs / 1000)), 'stop'], timeoutMs + 5_000);
  };
  await start();
  return {
    port,
    url,
    start,
    stop,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url(), connectionTimeoutMillis: 5_000 });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    async destroy() {
      await asOwner(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', '-t', '10', 'stop'], 15_000).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
