// The SMS webhook's other end for tests: an HTTP server on a loopback port that checks the
// signature (src/delivery/sms-provider.ts) of every POST and keeps the messages that carry a
// valid one. It can fail the first N requests with 503, to test retries.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, webhookSignature } from '../../src/delivery/sms-provider.ts';

export interface ReceivedSms {
  id: number;
  to: string;
  text: string;
  purpose: string;
  idempotencyKey: string | null;
  timestamp: string;
}

export interface SmsSink {
  url: string;
  secret: string;
  received: ReceivedSms[];
  /** Requests refused: a bad signature, or the planned failures. */
  badSignatures: number;
  failed: number;
  waitFor(to: string, options?: { timeoutMs?: number }): Promise<ReceivedSms>;
  messagesTo(to: string): ReceivedSms[];
  failNext(n: number): void;
  close(): Promise<void>;
}

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

export async function startSmsSink(options: { secret?: string; failFirst?: number } = {}): Promise<SmsSink> {
  const secret = options.secret ?? 'sms-sink-secret-0123456789';
  const received: ReceivedSms[] = [];
  const waiters: Array<{ to: string; resolve: (m: ReceivedSms) => void }> = [];
  let toFail = options.failFirst ?? 0;
  let failed = 0;
  let badSignatures = 0;
  const server = createServer((req, res) => {
    void readBody(req).then((body) => {
      const timestamp = String(req.headers[TIMESTAMP_HEADER] ?? '');
      const given = Buffer.from(String(req.headers[SIGNATURE_HEADER] ?? ''));
      const expected = Buffer.from(webhookSignature(secret, timestamp, body));
      const fresh = Math.abs(Date.now() / 1000 - Number(timestamp)) < 300;
      if (req.method !== 'POST' || !fresh || given.length !== expected.length || !timingSafeEqual(given, expected)) {
        badSignatures += 1;
        res.writeHead(401).end();
        return;
      }
      if (toFail > 0) {
        toFail -= 1;
        failed += 1;
        res.writeHead(503).end();
        return;
      }
      const payload = JSON.parse(body) as { id: number; to: string; text: string; purpose: string };
      const sms: ReceivedSms = { ...payload, idempotencyKey: (req.headers['idempotency-key'] as string | undefined) ?? null, timestamp };
      received.push(sms);
      for (const waiter of [...waiters]) {
        if (waiter.to === sms.to) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(sms);
        }
      }
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/sms`,
    secret,
    received,
    get badSignatures() {
      return badSignatures;
    },
    get failed() {
      return failed;
    },
    messagesTo: (to) => received.filter((m) => m.to === to),
    waitFor(to, { timeoutMs = 10_000 } = {}) {
      const found = received.find((m) => m.to === to);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = { to, resolve };
        waiters.push(waiter);
        setTimeout(() => {
          const index = waiters.indexOf(waiter);
          if (index < 0) return;
          waiters.splice(index, 1);
          reject(new Error(`no SMS to ${to} within ${timeoutMs} ms (received: ${received.length}, failed: ${failed}, bad signatures: ${badSignatures})`));
        }, timeoutMs).unref();
      });
    },
    failNext(n) {
      toFail = n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
