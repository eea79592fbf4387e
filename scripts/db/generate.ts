// npm run db:generate
//
// Derives prisma/postgresql/schema.prisma from prisma/schema.prisma, then generates both clients:
// generated/prisma-sqlite (SQLite) and generated/prisma-pg (PostgreSQL). Needs no database.
//
// The output is deterministic: the output folders are emptied first (no stale files), and the
// absolute paths Prisma writes into internal/class.ts are made relative to the repository root,
// so a fresh clone elsewhere generates the same bytes (CI runs `git diff --exit-code generated/`).
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, writePgSchema } from './pg-schema.ts';
import { PROVIDERS, runPrismaOk, type Provider } from './prisma-cli.ts';

/** Replaces `"<ROOT>/x"` with `"x"` in every generated file that holds such a path. */
function relativizePaths(dir: string): void {
  const quotedRoot = JSON.stringify(ROOT + path.sep).slice(0, -1); // `"<ROOT>/` as it appears in JSON
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const text = fs.readFileSync(file, 'utf8');
    if (text.includes(quotedRoot)) fs.writeFileSync(file, text.split(quotedRoot).join('"'));
  }
}

function generate(provider: Provider): void {
  const out = PROVIDERS[provider].generated;
  fs.rmSync(out, { recursive: true, force: true });
  // Without a database URL: `prisma generate` never connects.
  runPrismaOk(provider, ['generate', '--schema', PROVIDERS[provider].schema]);
  relativizePaths(out);
  console.log(`generated ${path.relative(ROOT, out)}`);
}

console.log(writePgSchema() ? 'wrote prisma/postgresql/schema.prisma' : 'prisma/postgresql/schema.prisma is up to date');
generate('sqlite');
generate('postgresql');
