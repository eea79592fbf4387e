// Retention: expired notifications are already invisible (every read filters on expiresMs);
// this removes them in bounded batches, each batch one transaction that also moves the
// affected feeds' counters (their unread rows leave the counter with them), and drops
// idempotency records and stream events past their 24 h window.
import type { Db } from '../../store/database.ts';
import type { UnitOfWork } from '../../store/unit-of-work.ts';
import * as store from '../../store/notifications/notification-store.ts';
import type { NotificationsService } from './notifications-service.ts';
import { IDEMPOTENCY_WINDOW_MS } from './notification-send.ts';

export const PURGE_BATCH = 500;

export class NotificationPurge {
  constructor(
    private readonly db: Db,
    private readonly unitOfWork: UnitOfWork,
    private readonly feeds: NotificationsService,
  ) {}

  /** One batch; the number of notifications removed (0: nothing left to purge). */
  async purgeBatch(now = Date.now(), take = PURGE_BATCH): Promise<number> {
    const batch = await store.expiredBatch(this.db, now, take);
    if (batch.length === 0) {
      await this.unitOfWork.write((tx) => store.dropOld(tx, now - IDEMPOTENCY_WINDOW_MS));
      return 0;
    }
    const feeds = new Map<string, { tenantId: number; recipient: string; ids: number[]; unread: number }>();
    for (const row of batch) {
      const key = `${row.tenantId}\u0000${row.recipient}`;
      const feed = feeds.get(key) ?? { tenantId: row.tenantId, recipient: row.recipient, ids: [], unread: 0 };
      feed.ids.push(row.id);
      if (row.unread) feed.unread += 1;
      feeds.set(key, feed);
    }
    return this.unitOfWork.write(async (tx, work) => {
      let removed = 0;
      for (const feed of feeds.values()) {
        // Re-read under the transaction: a row read meanwhile must leave the counter once only.
        const rows = await store.expiredRowsOf(tx, feed.ids, now);
        if (rows.length === 0) continue;
        removed += await store.deleteRows(tx, rows.map((r) => r.id));
        const unread = rows.filter((r) => r.unread).length;
        await this.feeds.change(work, feed.tenantId, feed.recipient, -unread, [{ kind: 'purged', payload: { ids: rows.map((r) => r.id) } }], now);
      }
      return removed;
    });
  }

  /** Batches until nothing expired is left (bounded by `maxBatches`). */
  async purgeAll(now = Date.now(), maxBatches = 100): Promise<number> {
    let total = 0;
    for (let i = 0; i < maxBatches; i++) {
      const removed = await this.purgeBatch(now);
      total += removed;
      if (removed === 0) break;
    }
    return total;
  }
}

/** A periodic sweep; `stop()` waits for a batch in progress. */
export function startPurgeSweep(purge: NotificationPurge, intervalMs: number, onError: (error: unknown) => void): { stop(): Promise<void> } {
  let running: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = purge.purgeAll().catch(onError).finally(() => {
      running = null;
    });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
