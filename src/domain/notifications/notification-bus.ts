// Wake-ups for live streams: after a feed's change commits, every process holding a stream of
// that feed is told to read the feed's event log from where its stream stands. The message
// carries no event (the log in the database is the truth), so a lost or doubled wake-up can
// neither drop nor duplicate an event. One process: an EventEmitter; several: Redis pub/sub.
import { EventEmitter } from 'node:events';

export interface FeedWakeUp {
  tenantId: number;
  recipient: string;
}

export interface NotificationBus {
  publish(wakeUp: FeedWakeUp): Promise<void>;
  subscribe(listener: (wakeUp: FeedWakeUp) => void): () => void;
  close(): Promise<void>;
}

export class LocalNotificationBus implements NotificationBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  async publish(wakeUp: FeedWakeUp): Promise<void> {
    this.emitter.emit('wake', wakeUp);
  }

  subscribe(listener: (wakeUp: FeedWakeUp) => void): () => void {
    this.emitter.on('wake', listener);
    return () => this.emitter.off('wake', listener);
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}
