// The pure parts of delivery: tenant settings parsing and merging, the audit's secret scrub,
// the webhook signature, and the delivery configuration's validation.
import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import { DEFAULT_DELIVERY_SETTINGS, mergeDeliverySettings, parseDeliverySettings } from '../../../src/delivery/delivery-settings.ts';
import { scrubDetail } from '../../../src/domain/audit/account-audit.ts';
import { webhookSignature } from '../../../src/delivery/sms-provider.ts';
import { ConfigError, loadConfig } from '../../../src/config.ts';

describe('delivery/delivery-settings', () => {
  it('an empty or unreadable stored value is the defaults: no SMS country allowed', () => {
    expect(parseDeliverySettings('{}')).to.deep.equal(DEFAULT_DELIVERY_SETTINGS);
    expect(parseDeliverySettings('not json')).to.deep.equal(DEFAULT_DELIVERY_SETTINGS);
    expect(parseDeliverySettings('{}').sms.allowedCountryPrefixes).to.deep.equal([]);
  });

  it('keeps valid fields, drops out-of-range numbers and malformed prefixes', () => {
    const parsed = parseDeliverySettings(JSON.stringify({ mail: { perDestinationHourly: 0, perTenantDaily: -1 }, sms: { allowedCountryPrefixes: ['+420', '420', '+0', 7], perDestinationDaily: 2.5 } }));
    expect(parsed.mail).to.include({ perDestinationHourly: 0, perTenantDaily: DEFAULT_DELIVERY_SETTINGS.mail.perTenantDaily });
    expect(parsed.sms.allowedCountryPrefixes).to.deep.equal(['+420']);
    expect(parsed.sms.perDestinationDaily).to.equal(DEFAULT_DELIVERY_SETTINGS.sms.perDestinationDaily);
  });

  it('a merge replaces only the fields given', () => {
    const current = parseDeliverySettings({ sms: { allowedCountryPrefixes: ['+1'], perDestinationHourly: 1 } });
    const merged = mergeDeliverySettings(current, { sms: { perTenantDaily: 5 } });
    expect(merged.sms).to.include({ perDestinationHourly: 1, perTenantDaily: 5 });
    expect(merged.sms.allowedCountryPrefixes).to.deep.equal(['+1']);
  });
});

describe('domain/audit scrubDetail', () => {
  it('drops keys naming a secret (any case, camel or snake) and nested objects; keeps ids and reasons', () => {
    const detail = scrubDetail({ outboxId: 3, code: '123456', verificationCode: '1', reset_token: 't', secret: 's', linkUrl: 'u', password: 'p', apiKey: 'k', text: 'x', context: 'kept', reason: 'wrong', nested: { a: 1 }, methods: ['mail_code'] });
    expect(detail).to.deep.equal({ outboxId: 3, context: 'kept', reason: 'wrong', methods: ['mail_code'] });
  });
  it('cuts long strings', () => {
    expect(String(scrubDetail({ reason: 'x'.repeat(500) }).reason)).to.have.length(201);
  });
});

describe('delivery/sms-provider webhookSignature', () => {
  it('is v1= and the hex HMAC-SHA256 of "timestamp.body" under the secret', () => {
    const expected = createHmac('sha256', 'k3y').update('1700000000.{"a":1}').digest('hex');
    expect(webhookSignature('k3y', '1700000000', '{"a":1}')).to.equal(`v1=${expected}`);
  });
});

describe('config: delivery variables', () => {
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env);
      return [];
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
  };
  it('defaults: no transports, links on http://localhost:<PORT>, the default From', () => {
    const config = loadConfig({ PORT: '8080' });
    expect(config).to.include({ smtpUrl: null, smsWebhookUrl: null, publicBaseUrl: 'http://localhost:8080', mailFrom: 'jetstack <no-reply@localhost>', deliveryMaxAttempts: 8 });
  });
  it('PUBLIC_BASE_URL loses its trailing slash; a non-http one is refused', () => {
    expect(loadConfig({ PUBLIC_BASE_URL: 'https://api.example.com/' }).publicBaseUrl).to.equal('https://api.example.com');
    expect(problems({ PUBLIC_BASE_URL: 'ftp://x' })).to.deep.equal(['PUBLIC_BASE_URL must be a http:// or https:// URL']);
  });
  it('refuses an SMTP_URL that is not smtp(s):// and a webhook without a secret of 16+ characters', () => {
    expect(problems({ SMTP_URL: 'http://mail' })).to.deep.equal(['SMTP_URL must be a smtp:// or smtps:// URL']);
    expect(problems({ SMS_WEBHOOK_URL: 'https://hook.example.com/sms', SMS_WEBHOOK_SECRET: 'short' })).to.deep.equal(['SMS_WEBHOOK_URL needs SMS_WEBHOOK_SECRET of at least 16 characters']);
  });
});
