// SMS behind a provider interface; the one shipped implementation POSTs signed JSON to a
// webhook (SMS_WEBHOOK_URL) that relays it to a real SMS gateway.
//
// Request: POST, Content-Type: application/json, body {"id": <outbox id>, "to": "+E164",
// "text": "...", "purpose": "verification"}; headers
//   X-Jetstack-Timestamp: <Unix seconds>
//   X-Jetstack-Signature: v1=<hex HMAC-SHA256(SMS_WEBHOOK_SECRET, timestamp + "." + body)>
//   Idempotency-Key: outbox-<id>  (the same on every retry of one message)
// Any 2xx is delivered; anything else (or no answer within the timeout) is retried later.
import { createHmac } from 'node:crypto';

export interface SmsToSend {
  outboxId: number;
  to: string;
  text: string;
  purpose: string;
}

export interface SmsProvider {
  send(sms: SmsToSend): Promise<void>;
}

export const SIGNATURE_HEADER = 'x-jetstack-signature';
export const TIMESTAMP_HEADER = 'x-jetstack-timestamp';

/** The signature header's value for one request; the receiver computes the same and compares. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export class WebhookSmsProvider implements SmsProvider {
  constructor(
    private readonly url: string,
    private readonly secret: string,
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async send(sms: SmsToSend): Promise<void> {
    const body = JSON.stringify({ id: sms.outboxId, to: sms.to, text: sms.text, purpose: sms.purpose });
    const timestamp = String(Math.floor(this.now() / 1000));
    const response = await fetch(this.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [TIMESTAMP_HEADER]: timestamp,
        [SIGNATURE_HEADER]: webhookSignature(this.secret, timestamp, body),
        'idempotency-key': `outbox-${sms.outboxId}`,
      },
      body,
      signal: AbortSignal.timeout(this.timeoutMs),
      redirect: 'error',
    });
    // The answer's body is the receiver's business (and may echo the message): not read, not kept.
    await response.body?.cancel();
    if (!response.ok) throw new Error(`SMS webhook answered HTTP ${response.status}`);
  }
}
