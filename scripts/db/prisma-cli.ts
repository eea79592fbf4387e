// Runs the local Prisma CLI (node_modules/prisma) with one of the two configs.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './pg-schema.ts';

export type Provider = 'sqlite' | 'postgresql';

export const PROVIDERS: Record<Provider, { config: string; schema: string; migrations: string; generated: string }> = {
  sqlite: {
    config: path.join(ROOT, 'prisma.config.ts'),
    schema: path.join(ROOT, 'prisma/schema.prisma'),
    migrations: path.join(ROOT, 'prisma/migrations'),
    generated: path.join(ROOT, 'generated/prisma-sqlite'),
  },
  postgresql: {
    config: path.join(ROOT, 'prisma/postgresql/prisma.config.ts'),
    schema: path.join(ROOT, 'prisma/postgresql/schema.prisma'),
    migrations: path.join(ROOT, 'prisma/postgresql/migrations'),
    generated: path.join(ROOT, 'generated/prisma-pg'),
  },
};

const PRISMA_BIN = path.join(ROOT, 'node_modules/prisma/build/index.js');

export interface PrismaRun {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `prisma <args> --config <provider's config>`. `databaseUrl` is passed as DATABASE_URL:
 * for SQLite use an in-memory URL when the command does not need a real database (the CLI opens
 * the configured database even for `migrate diff`).
 */
export function runPrisma(provider: Provider, args: string[], databaseUrl?: string, timeoutMs = 180_000): PrismaRun {
  const env: NodeJS.ProcessEnv = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' };
  if (databaseUrl !== undefined) env.DATABASE_URL = databaseUrl;
  else if (provider === 'sqlite') env.DATABASE_URL = 'file::memory:';
  const res = spawnSync(process.execPath, [PRISMA_BIN, ...args, '--config', PROVIDERS[provider].config], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (res.error) throw new Error(`prisma ${args.join(' ')} (${provider}): ${res.error.message}`);
  return { status: res.status ?? 1, stdout: res.stdout, stderr: res.stderr };
}

/** Like runPrisma, but throws with the CLI's output unless the exit code is one of `ok`. */
export function runPrismaOk(provider: Provider, args: string[], databaseUrl?: string, ok: number[] = [0]): PrismaRun {
  const res = runPrisma(provider, args, databaseUrl);
  if (!ok.includes(res.status)) {
    throw new Error(`prisma ${args.join(' ')} (${provider}) exited ${res.status}\n${res.stdout}${res.stderr}`);
  }
  return res;
}

export function isPostgresUrl(url: string | undefined): url is string {
  return !!url && /^postgres(ql)?:\/\//.test(url);
}
