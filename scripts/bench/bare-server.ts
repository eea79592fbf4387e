// The baseline: bare node:http answering the same bytes and headers GET /api/v1/auth answers.
import { createServer } from 'node:http';

const body = process.env.BARE_BODY ?? '{"status":"valid","validTo":"9999-12-31 00:00:00"}';
const server = createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-request-id': '00000000-0000-0000-0000-000000000000',
    vary: 'Origin',
  });
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
process.once('SIGTERM', () => server.close(() => process.exit(0)));
