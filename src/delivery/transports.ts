// The transports the configuration names: SMTP when SMTP_URL is set, the SMS webhook when
// SMS_WEBHOOK_URL is; a channel without one keeps its messages in the outbox (the delivery).
import type { Config } from '../config.ts';
import { smtpTransport, type MailTransport } from './mail-transport.ts';
import { WebhookSmsProvider, type SmsProvider } from './sms-provider.ts';
import type { DeliveryOptions } from './delivery-worker.ts';

export interface DeliverySetup {
  mail: MailTransport | null;
  sms: SmsProvider | null;
  options: DeliveryOptions;
}

export function deliverySetup(config: Config): DeliverySetup {
  const from = config.mailFrom;
  const domain = /@([^>\s]+)/.exec(from)?.[1] ?? 'localhost';
  return {
    mail: config.smtpUrl ? smtpTransport({ url: config.smtpUrl, from, timeoutMs: config.deliverySendTimeoutMs, messageIdDomain: domain }) : null,
    sms: config.smsWebhookUrl && config.smsWebhookSecret ? new WebhookSmsProvider(config.smsWebhookUrl, config.smsWebhookSecret, config.deliverySendTimeoutMs) : null,
    options: {
      maxAttempts: config.deliveryMaxAttempts,
      retryBaseMs: config.deliveryRetryBaseMs,
      retryMaxDelayMs: config.deliveryRetryMaxDelayMs,
      pollMs: config.deliveryPollMs,
      sendTimeoutMs: config.deliverySendTimeoutMs,
    },
  };
}
