// A real SMTP server on a loopback port (smtp-server) that keeps every message it accepts,
// parsed with mailparser, for tests to read codes and links from. It can refuse the first N
// deliveries with a temporary 4xx reply, to test retries.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';

export interface ReceivedMail {
  to: string[];
  from: string;
  subject: string;
  text: string;
  html: string | null;
  messageId: string | null;
  parsed: ParsedMail;
}

export interface MailSink {
  /** smtp://127.0.0.1:<port>: give it to the server as SMTP_URL. */
  url: string;
  port: number;
  received: ReceivedMail[];
  /** How many DATA commands were refused so far. */
  refused: number;
  /** Resolves with the first message to `to` (case-insensitive) received so far or later. */
  waitFor(to: string, options?: { timeoutMs?: number; after?: number }): Promise<ReceivedMail>;
  /** All messages to `to`. */
  messagesTo(to: string): ReceivedMail[];
  /** Refuse the next `n` deliveries with a 451 reply. */
  refuseNext(n: number): void;
  close(): Promise<void>;
}

export async function startMailSink(options: { refuseFirst?: number; username?: string; password?: string } = {}): Promise<MailSink> {
  const received: ReceivedMail[] = [];
  const waiters: Array<{ to: string; after: number; resolve: (m: ReceivedMail) => void }> = [];
  let toRefuse = options.refuseFirst ?? 0;
  let refused = 0;
  const needsAuth = options.username !== undefined;
  const server = new SMTPServer({
    disabledCommands: needsAuth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !needsAuth,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === options.username && auth.password === options.password) callback(null, { user: auth.username });
      else callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (toRefuse > 0) {
          toRefuse -= 1;
          refused += 1;
          callback(Object.assign(new Error('Try again later'), { responseCode: 451 }));
          return;
        }
        simpleParser(Buffer.concat(chunks)).then(
          (parsed) => {
            const mail: ReceivedMail = {
              to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : null,
              messageId: parsed.messageId ?? null,
              parsed,
            };
            received.push(mail);
            for (const waiter of [...waiters]) {
              if (mail.to.includes(waiter.to) && received.indexOf(mail) >= waiter.after) {
                waiters.splice(waiters.indexOf(waiter), 1);
                waiter.resolve(mail);
              }
            }
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  const auth = needsAuth ? `${encodeURIComponent(options.username!)}:${encodeURIComponent(options.password ?? '')}@` : '';
  return {
    url: `smtp://${auth}127.0.0.1:${port}`,
    port,
    received,
    get refused() {
      return refused;
    },
    messagesTo: (to) => received.filter((m) => m.to.includes(to.toLowerCase())),
    waitFor(to, { timeoutMs = 10_000, after = 0 } = {}) {
      const address = to.toLowerCase();
      const found = received.find((m, index) => index >= after && m.to.includes(address));
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = { to: address, after, resolve };
        waiters.push(waiter);
        setTimeout(() => {
          const index = waiters.indexOf(waiter);
          if (index < 0) return;
          waiters.splice(index, 1);
          reject(new Error(`no mail to ${to} within ${timeoutMs} ms (received: ${received.length}, refused: ${refused})`));
        }, timeoutMs).unref();
      });
    },
    refuseNext(n) {
      toRefuse = n;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
