// npm run db:migrate: applies pending migrations to DATABASE_URL (default file:./data/jetstack.db)
// the way the server does at start (src/store/migrate.ts), without the Prisma CLI.
import { applyMigrations } from '../../src/store/migrate.ts';

const url = process.env.DATABASE_URL || 'file:./data/jetstack.db';
const redacted = url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
try {
  const applied = await applyMigrations(url, (msg) => console.log(msg));
  console.log(applied.length ? `${redacted}: applied ${applied.length} migration(s).` : `${redacted}: already up to date.`);
} catch (e) {
  console.error(`db:migrate failed on ${redacted}: ${(e as Error).message}`);
  process.exit(1);
}
