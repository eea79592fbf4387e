// Notification rows and per-recipient feed rows in SQL: reads through $queryRaw built from
// Prisma.sql fragments (identifiers constant, values bound), the keyset order
// (createdMs desc, id desc) served by the (tenantId, recipient, [readMs,] createdMs, id) indexes.
// Every function takes the tenant id; a recipient is "u:<userId>" or "c:<custom id>".
import { Prisma } from '../../../generated/prisma-sqlite/client.ts';
import type { Db, Tx } from '../database.ts';

export interface NotificationRow extends NewNotification {
  id: number;
  readMs: number | null;
  archivedMs: number | null;
}

type Raw = { [K in keyof NotificationRow]: NotificationRow[K] extends number ? number | bigint : NotificationRow[K] extends number | null ? number | bigint | null : NotificationRow[K] };

const COLUMNS = Prisma.raw('n."id", n."recipient", n."category", n."title", n."body", n."data", n."actionUrl", n."createdMs", n."readMs", n."archivedMs", n."expiresMs"');

const num = (v: number | bigint) => Number(v);
const numOrNull = (v: number | bigint | null) => (v === null ? null : Number(v));

function toRow(raw: Raw): NotificationRow {
  return {
    ...raw,
    id: num(raw.id),
    createdMs: num(raw.createdMs),
    readMs: numOrNull(raw.readMs),
    archivedMs: numOrNull(raw.archivedMs),
    expiresMs: numOrNull(raw.expiresMs),
  };
}

const ms = (value: number) => BigInt(value);

/**
 * Not expired at `now`: the same condition everywhere an item must vanish at once. Written as
 * COALESCE, not `IS NULL OR >`: SQLite plans the OR as a multi-index OR over the expiry index
 * and sorts the whole feed (measured: 100-800 ms at 10^5 rows); COALESCE leaves the keyset
 * index to drive the scan, checking expiry on the rows it walks.
 */
const NEVER = Prisma.raw('9007199254740991');
const live = (now: number) => Prisma.sql`COALESCE(n."expiresMs", ${NEVER}) > ${ms(now)}`;

export interface PageSpec {
  tenantId: number;
  recipient: string;
  now: number;
  unreadOnly: boolean;
  /** Strictly older than this position (the cursor). */
  before: { createdMs: number; id: number } | null;
  /** Strictly newer than this position (`after`); id null: newer than the instant. */
  after: { createdMs: number; id: number | null } | null;
  /** Rows to fetch (the page size plus one, for hasMore). */
  take: number;
}

export async function readPage(db: Db | Tx, spec: PageSpec): Promise<NotificationRow[]> {
  const conditions = [
    Prisma.sql`n."tenantId" = ${spec.tenantId}`,
    Prisma.sql`n."recipient" = ${spec.recipient}`,
    spec.unreadOnly ? Prisma.sql`n."readMs" IS NULL` : Prisma.sql`n."archivedMs" IS NULL`,
    live(spec.now),
  ];
  if (spec.before) {
    const { createdMs, id } = spec.before;
    // A row-value comparison: one index range on both databases (an OR of two ranges is not).
    conditions.push(Prisma.sql`(n."createdMs", n."id") < (${ms(createdMs)}, ${id})`);
  }
  if (spec.after) {
    const { createdMs, id } = spec.after;
    conditions.push(
      id === null
        ? Prisma.sql`n."createdMs" > ${ms(createdMs)}`
        : Prisma.sql`(n."createdMs", n."id") > (${ms(createdMs)}, ${id})`,
    );
  }
  const rows = await db.$queryRaw<Raw[]>(
    Prisma.sql`SELECT ${COLUMNS} FROM "Notification" n WHERE ${Prisma.join(conditions, ' AND ')} ORDER BY n."createdMs" DESC, n."id" DESC LIMIT ${spec.take}`,
  );
  return rows.map(toRow);
}

/** One row of the recipient's feed, archived or not; null when absent or expired. */
export async function readOne(db: Db | Tx, tenantId: number, recipient: string, id: number, now: number): Promise<NotificationRow | null> {
  const rows = await db.$queryRaw<Raw[]>(
    Prisma.sql`SELECT ${COLUMNS} FROM "Notification" n WHERE n."id" = ${id} AND n."tenantId" = ${tenantId} AND n."recipient" = ${recipient} AND ${live(now)}`,
  );
  return rows.length ? toRow(rows[0]) : null;
}

/** The keyset position of a row of this feed (any state), for `after=<id>`. */
export async function positionOf(db: Db | Tx, tenantId: number, recipient: string, id: number): Promise<{ createdMs: number; id: number } | null> {
  const rows = await db.$queryRaw<{ createdMs: number | bigint }[]>(
    Prisma.sql`SELECT n."createdMs" FROM "Notification" n WHERE n."id" = ${id} AND n."tenantId" = ${tenantId} AND n."recipient" = ${recipient}`,
  );
  return rows.length ? { createdMs: Number(rows[0].createdMs), id } : null;
}

export interface FeedState {
  /** Exact: the maintained counter less the unread rows that expired and await the purge. */
  unread: number;
  version: number;
  /** Rows past their expiry not yet purged (they change what the feed shows without a write). */
  expired: number;
}

/**
 * The feed's counter row and the expiry correction in one statement: the correction reads
 * the (tenantId, recipient, expiresMs, readMs) index over expired rows only, so it costs the
 * number of rows awaiting the purge, not the size of the feed.
 */
export async function readFeedState(db: Db | Tx, tenantId: number, recipient: string, now: number): Promise<FeedState> {
  const rows = await db.$queryRaw<{ unread: number | bigint | null; version: number | bigint | null; expired: number | bigint; expiredUnread: number | bigint }[]>(Prisma.sql`
    SELECT
      (SELECT f."unread" FROM "NotificationFeed" f WHERE f."tenantId" = ${tenantId} AND f."recipient" = ${recipient}) AS "unread",
      (SELECT f."version" FROM "NotificationFeed" f WHERE f."tenantId" = ${tenantId} AND f."recipient" = ${recipient}) AS "version",
      (SELECT COUNT(*) FROM "Notification" n WHERE n."tenantId" = ${tenantId} AND n."recipient" = ${recipient} AND n."expiresMs" <= ${ms(now)}) AS "expired",
      (SELECT COUNT(*) FROM "Notification" n WHERE n."tenantId" = ${tenantId} AND n."recipient" = ${recipient} AND n."expiresMs" <= ${ms(now)} AND n."readMs" IS NULL) AS "expiredUnread"`);
  const row = rows[0];
  return {
    unread: Math.max(0, Number(row.unread ?? 0) - Number(row.expiredUnread)),
    version: Number(row.version ?? 0),
    expired: Number(row.expired),
  };
}

export interface NewNotification {
  recipient: string;
  category: string;
  title: string;
  body: string;
  data: string;
  actionUrl: string | null;
  createdMs: number;
  expiresMs: number | null;
}

export async function insertMany(tx: Tx, tenantId: number, rows: NewNotification[]): Promise<NotificationRow[]> {
  const created = await tx.notification.createManyAndReturn({
    data: rows.map((row) => ({ ...row, tenantId, createdMs: ms(row.createdMs), expiresMs: row.expiresMs === null ? null : ms(row.expiresMs) })),
  });
  return created.map((row) => toRow(row as unknown as Raw));
}

/** Marks one unread row read; the number of rows changed (0: already read). */
export async function markRead(tx: Tx, tenantId: number, recipient: string, id: number, now: number): Promise<number> {
  return tx.$executeRaw(
    Prisma.sql`UPDATE "Notification" SET "readMs" = ${ms(now)} WHERE "id" = ${id} AND "tenantId" = ${tenantId} AND "recipient" = ${recipient} AND "readMs" IS NULL`,
  );
}

/** Archives one row (and marks it read); how many rows were archived and how many were unread. */
export async function archive(tx: Tx, tenantId: number, recipient: string, id: number, now: number): Promise<{ archived: number; wasUnread: number }> {
  const wasUnread = await tx.$executeRaw(
    Prisma.sql`UPDATE "Notification" SET "readMs" = ${ms(now)}, "archivedMs" = ${ms(now)} WHERE "id" = ${id} AND "tenantId" = ${tenantId} AND "recipient" = ${recipient} AND "readMs" IS NULL`,
  );
  const archived = wasUnread + (await tx.$executeRaw(
    Prisma.sql`UPDATE "Notification" SET "archivedMs" = ${ms(now)} WHERE "id" = ${id} AND "tenantId" = ${tenantId} AND "recipient" = ${recipient} AND "archivedMs" IS NULL`,
  ));
  return { archived, wasUnread };
}

/** Marks read every unread, live row created at or before `upTo`; the number changed. */
export async function markAllRead(tx: Tx, tenantId: number, recipient: string, upTo: number, now: number): Promise<number> {
  return tx.$executeRaw(Prisma.sql`
    UPDATE "Notification" SET "readMs" = ${ms(now)}
    WHERE "tenantId" = ${tenantId} AND "recipient" = ${recipient} AND "readMs" IS NULL AND "createdMs" <= ${ms(upTo)}
      AND COALESCE("expiresMs", ${NEVER}) > ${ms(now)}`);
}

export interface FeedEvent {
  kind: 'created' | 'read' | 'archived' | 'read-all' | 'purged';
  payload: Record<string, unknown>;
}

export interface FeedChange {
  recipient: string;
  unreadDelta: number;
  events: FeedEvent[];
}

/**
 * Applies changes to feed rows in the writing transaction, one statement for all of them: each
 * unread counter moves by its `unreadDelta`, each version by one, and each event gets the next
 * per-recipient sequence number (assigned under the row's lock, so sequence order is commit
 * order); then one insert of every event. `excluded` is the proposed row, whose values are the
 * deltas, so the same VALUES serve a new feed and an existing one.
 */
export async function bumpFeeds(tx: Tx, tenantId: number, changes: FeedChange[], now: number): Promise<void> {
  if (changes.length === 0) return;
  // One lock order for every writer (recipient order): two sends to overlapping recipients in
  // different orders would otherwise deadlock on PostgreSQL.
  const sorted = [...changes].sort((a, b) => (a.recipient < b.recipient ? -1 : a.recipient > b.recipient ? 1 : 0));
  const values = sorted.map((c) => Prisma.sql`(${tenantId}, ${c.recipient}, ${c.unreadDelta}, 1, ${c.events.length})`);
  const rows = await tx.$queryRaw<{ recipient: string; lastEvent: number | bigint }[]>(Prisma.sql`
    INSERT INTO "NotificationFeed" ("tenantId", "recipient", "unread", "version", "lastEvent")
    VALUES ${Prisma.join(values)}
    ON CONFLICT ("tenantId", "recipient") DO UPDATE SET
      "unread" = "NotificationFeed"."unread" + excluded."unread",
      "version" = "NotificationFeed"."version" + 1,
      "lastEvent" = "NotificationFeed"."lastEvent" + excluded."lastEvent"
    RETURNING "recipient", "lastEvent"`);
  const lastEvent = new Map(rows.map((row) => [row.recipient, Number(row.lastEvent)]));
  const events = changes.flatMap((c) => {
    const first = lastEvent.get(c.recipient)! - c.events.length + 1;
    return c.events.map((event, index) => ({ tenantId, recipient: c.recipient, seq: first + index, kind: event.kind, payload: JSON.stringify(event.payload), createdMs: ms(now) }));
  });
  if (events.length) await tx.notificationEvent.createMany({ data: events });
}

export interface StoredEvent {
  seq: number;
  kind: string;
  payload: string;
}

/** The recipient's events after `afterSeq`, in order (the stream's resume). */
export async function readEvents(db: Db | Tx, tenantId: number, recipient: string, afterSeq: number, take: number): Promise<StoredEvent[]> {
  const rows = await db.$queryRaw<{ seq: number | bigint; kind: string; payload: string }[]>(Prisma.sql`
    SELECT e."seq", e."kind", e."payload" FROM "NotificationEvent" e
    WHERE e."tenantId" = ${tenantId} AND e."recipient" = ${recipient} AND e."seq" > ${afterSeq}
    ORDER BY e."seq" ASC LIMIT ${take}`);
  return rows.map((row) => ({ seq: Number(row.seq), kind: row.kind, payload: row.payload }));
}

/** Existing user ids among `ids` in this tenant. */
export async function existingUsers(db: Db | Tx, tenantId: number, ids: number[]): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  const rows = await db.$queryRaw<{ id: number | bigint }[]>(Prisma.sql`SELECT u."id" FROM "User" u WHERE u."tenantId" = ${tenantId} AND u."id" IN (${Prisma.join(ids)})`);
  return new Set(rows.map((row) => Number(row.id)));
}

/** Up to `take` expired rows (oldest expiry first), for the purge. */
export async function expiredBatch(db: Db | Tx, now: number, take: number): Promise<{ id: number; tenantId: number; recipient: string; unread: boolean }[]> {
  const rows = await db.$queryRaw<{ id: number | bigint; tenantId: number | bigint; recipient: string; readMs: number | bigint | null }[]>(Prisma.sql`
    SELECT n."id", n."tenantId", n."recipient", n."readMs" FROM "Notification" n
    WHERE n."expiresMs" <= ${ms(now)} ORDER BY n."expiresMs" ASC LIMIT ${take}`);
  return rows.map((row) => ({ id: Number(row.id), tenantId: Number(row.tenantId), recipient: row.recipient, unread: row.readMs === null }));
}

export async function deleteRows(tx: Tx, ids: number[]): Promise<number> {
  if (ids.length === 0) return 0;
  return tx.$executeRaw(Prisma.sql`DELETE FROM "Notification" WHERE "id" IN (${Prisma.join(ids)})`);
}

/** Idempotency records and events older than `beforeMs`. */
export async function dropOld(tx: Tx, beforeMs: number): Promise<void> {
  await tx.$executeRaw(Prisma.sql`DELETE FROM "NotificationSend" WHERE "createdMs" < ${ms(beforeMs)}`);
  await tx.$executeRaw(Prisma.sql`DELETE FROM "NotificationEvent" WHERE "createdMs" < ${ms(beforeMs)}`);
}

export interface SendRecord {
  bodyHash: string;
  response: string;
  createdMs: number;
}

export async function readSend(db: Db | Tx, tenantId: number, callerId: number, key: string): Promise<SendRecord | null> {
  const rows = await db.$queryRaw<{ bodyHash: string; response: string; createdMs: number | bigint }[]>(Prisma.sql`
    SELECT s."bodyHash", s."response", s."createdMs" FROM "NotificationSend" s WHERE s."tenantId" = ${tenantId} AND s."callerId" = ${callerId} AND s."key" = ${key}`);
  return rows.length ? { ...rows[0], createdMs: Number(rows[0].createdMs) } : null;
}

/**
 * Records a send's key. Only a record past its window is replaced: a live one (a concurrent
 * send with the same key that committed first) makes the insert fail, and the caller replays it.
 */
export async function replaceSend(tx: Tx, tenantId: number, callerId: number, key: string, record: SendRecord, windowStartMs: number): Promise<void> {
  await tx.$executeRaw(
    Prisma.sql`DELETE FROM "NotificationSend" WHERE "tenantId" = ${tenantId} AND "callerId" = ${callerId} AND "key" = ${key} AND "createdMs" <= ${ms(windowStartMs)}`,
  );
  await tx.notificationSend.create({ data: { tenantId, callerId, key, bodyHash: record.bodyHash, response: record.response, createdMs: ms(record.createdMs) } });
}

/** Which of `ids` are still present and expired at `now`, with their read state. */
export async function expiredRowsOf(tx: Tx, ids: number[], now: number): Promise<{ id: number; unread: boolean }[]> {
  if (ids.length === 0) return [];
  const rows = await tx.$queryRaw<{ id: number | bigint; readMs: number | bigint | null }[]>(Prisma.sql`
    SELECT n."id", n."readMs" FROM "Notification" n WHERE n."id" IN (${Prisma.join(ids)}) AND n."expiresMs" <= ${ms(now)}`);
  return rows.map((row) => ({ id: Number(row.id), unread: row.readMs === null }));
}

/** The feed's last event sequence number (0: none yet). */
export async function lastEventOf(db: Db | Tx, tenantId: number, recipient: string): Promise<number> {
  const rows = await db.$queryRaw<{ lastEvent: number | bigint }[]>(Prisma.sql`
    SELECT f."lastEvent" FROM "NotificationFeed" f WHERE f."tenantId" = ${tenantId} AND f."recipient" = ${recipient}`);
  return rows.length ? Number(rows[0].lastEvent) : 0;
}
