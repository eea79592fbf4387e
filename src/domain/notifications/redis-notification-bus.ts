// The stream wake-ups across processes: Redis pub/sub on one channel per deployment prefix.
// Publishing uses the shared client; subscribing needs a connection of its own (a subscribed
// Redis connection can run nothing else). A lost message costs only latency: every stream also
// re-reads its feed's event log on each heartbeat.
import type { RedisClient } from '../../cache/shared-state.ts';
import { LocalNotificationBus, type FeedWakeUp, type NotificationBus } from './notification-bus.ts';

export class RedisNotificationBus implements NotificationBus {
  private readonly local = new LocalNotificationBus();
  private subscriber: RedisClient | null = null;
  private readonly channel: string;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly onError: (error: unknown) => void,
  ) {
    this.channel = `${prefix}:notifications`;
  }

  /**
   * Connects the subscription in the background: a Redis that is down at boot must not hold
   * the server's start (streams then catch up on their heartbeats). Subscribes once the
   * connection is ready; node-redis re-subscribes by itself after a reconnect.
   */
  start(): void {
    const subscriber = this.redis.duplicate();
    this.subscriber = subscriber;
    subscriber.on('error', this.onError);
    let subscribed = false;
    subscriber.on('ready', () => {
      if (subscribed) return;
      subscribed = true;
      subscriber.subscribe(this.channel, (message) => this.deliver(message)).catch((error: unknown) => {
        subscribed = false;
        this.onError(error);
      });
    });
    subscriber.connect().catch(this.onError);
  }

  private deliver(message: string): void {
    try {
      const wakeUp = JSON.parse(message) as FeedWakeUp;
      if (typeof wakeUp.tenantId === 'number' && typeof wakeUp.recipient === 'string') void this.local.publish(wakeUp);
    } catch (error) {
      this.onError(error);
    }
  }

  async publish(wakeUp: FeedWakeUp): Promise<void> {
    try {
      await this.redis.publish(this.channel, JSON.stringify({ tenantId: wakeUp.tenantId, recipient: wakeUp.recipient }));
    } catch (error) {
      // Redis away: this process's own streams still hear it; the others catch up on their heartbeat.
      this.onError(error);
      await this.local.publish(wakeUp);
    }
  }

  subscribe(listener: (wakeUp: FeedWakeUp) => void): () => void {
    return this.local.subscribe(listener);
  }

  async close(): Promise<void> {
    const subscriber = this.subscriber;
    this.subscriber = null;
    await this.local.close();
    if (!subscriber) return;
    const drop = () => {
      try {
        subscriber.destroy();
      } catch {
        // never connected, or already closed
      }
    };
    if (subscriber.isOpen) await subscriber.quit().then(() => undefined, drop);
    else drop();
  }
}
