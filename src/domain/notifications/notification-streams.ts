// Live streams of feeds: each stream stands at a position in its feed's event log and, when
// woken (a change committed anywhere) or on its heartbeat, reads the events after it, in order.
// The log is the only source of events, so a stream resumed at a Last-Event-ID gets exactly the
// events after it: none lost (they are in the log), none twice (the position only moves forward).
import { Errors } from '../../errors/registry.ts';
import type { Db } from '../../store/database.ts';
import * as store from '../../store/notifications/notification-store.ts';
import type { NotificationBus } from './notification-bus.ts';

export interface StreamSink {
  /** An event: its per-feed id, kind and JSON data. */
  event(id: number, kind: string, data: unknown): void;
  heartbeat(): void;
  end(): void;
}

const READ_BATCH = 200;
/** Streams one user may hold open on one process (each holds a connection and a timer). */
export const MAX_STREAMS_PER_FEED = 5;

export class NotificationStreams {
  private readonly streams = new Set<() => void>();
  private readonly perFeed = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly bus: NotificationBus,
    private readonly heartbeatMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  get size(): number {
    return this.streams.size;
  }

  /** Starts a stream at `lastEventId` (null: the feed's current position); returns its closer. */
  async open(tenantId: number, recipient: string, lastEventId: number | null, sink: StreamSink): Promise<() => void> {
    const feedKey = `${tenantId}\u0000${recipient}`;
    const held = this.perFeed.get(feedKey) ?? 0;
    if (held >= MAX_STREAMS_PER_FEED) throw Errors.tooManyStreams({ limit: MAX_STREAMS_PER_FEED }, { headers: { 'Retry-After': '5' } });
    this.perFeed.set(feedKey, held + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const left = (this.perFeed.get(feedKey) ?? 1) - 1;
      if (left > 0) this.perFeed.set(feedKey, left);
      else this.perFeed.delete(feedKey);
    };
    try {
      return await this.start(tenantId, recipient, lastEventId, sink, release);
    } catch (error) {
      release();
      throw error;
    }
  }

  private async start(tenantId: number, recipient: string, lastEventId: number | null, sink: StreamSink, release: () => void): Promise<() => void> {
    const current = await this.currentPosition(tenantId, recipient);
    // An id beyond the feed's last event (another feed's, or made up) would wait for events
    // that belong to it: start at the current position instead.
    let position = lastEventId === null || lastEventId > current ? current : lastEventId;
    let reading: Promise<void> | null = null;
    let again = false;
    let closed = false;

    const drain = async () => {
      do {
        again = false;
        for (;;) {
          const events = await store.readEvents(this.db, tenantId, recipient, position, READ_BATCH);
          if (closed || events.length === 0) break;
          for (const event of events) sink.event(event.seq, event.kind, JSON.parse(event.payload));
          position = events[events.length - 1].seq;
          const state = await store.readFeedState(this.db, tenantId, recipient, Date.now());
          if (!closed) sink.event(position, 'unread-count', { unread: state.unread });
          if (events.length < READ_BATCH) break;
        }
      } while (again && !closed);
    };
    const wake = () => {
      if (closed) return;
      if (reading) {
        again = true;
        return;
      }
      reading = drain()
        .catch(this.onError)
        .finally(() => {
          reading = null;
        });
    };

    const unsubscribe = this.bus.subscribe((wakeUp) => {
      if (wakeUp.tenantId === tenantId && wakeUp.recipient === recipient) wake();
    });
    const heartbeat = setInterval(() => {
      sink.heartbeat();
      wake();
    }, this.heartbeatMs);
    heartbeat.unref();
    const close = () => {
      if (closed) return;
      closed = true;
      release();
      clearInterval(heartbeat);
      unsubscribe();
      this.streams.delete(close);
      sink.end();
    };
    this.streams.add(close);
    try {
      // The current count first, then whatever was missed since lastEventId.
      const state = await store.readFeedState(this.db, tenantId, recipient, Date.now());
      sink.event(position, 'unread-count', { unread: state.unread });
    } catch (error) {
      close();
      throw error;
    }
    wake();
    return close;
  }

  private async currentPosition(tenantId: number, recipient: string): Promise<number> {
    return store.lastEventOf(this.db, tenantId, recipient);
  }

  /** Ends every stream (shutdown): clients reconnect elsewhere with their Last-Event-ID. */
  closeAll(): void {
    for (const close of [...this.streams]) close();
  }
}
