// Server-Sent Events framing of a notification stream (WHATWG HTML §9.2): `id`, `event` and
// one `data` line per event, a comment line as the heartbeat. The response body is a
// PassThrough; Koa destroys it when the client goes away, which closes the stream.
import { PassThrough } from 'node:stream';
import type { StreamSink } from '../domain/notifications/notification-streams.ts';

export function sseSink(): { body: PassThrough; sink: StreamSink } {
  const body = new PassThrough();
  const sink: StreamSink = {
    event(id, kind, data) {
      if (!body.writableEnded) body.write(`id: ${id}\nevent: ${kind}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    heartbeat() {
      if (!body.writableEnded) body.write(': heartbeat\n\n');
    },
    end() {
      if (!body.writableEnded) body.end();
    },
  };
  // Sent at once, so clients and proxies see the stream open before the first event.
  body.write('retry: 2000\n\n');
  return { body, sink };
}

export const SSE_HEADERS = {
  'Cache-Control': 'no-cache, no-transform',
  'X-Accel-Buffering': 'no',
  Connection: 'keep-alive',
};
