// The baseline for cached answers: bare node:http replaying, per request path, the exact status,
// headers and body bytes the API answered once (recorded by scripts/bench/cache.ts into the JSON
// file named by BARE_RESPONSES: { "<path?query>": { status, headers, body (base64) } }).
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';

interface Recorded {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const recorded = JSON.parse(readFileSync(process.env.BARE_RESPONSES!, 'utf8')) as Record<string, Recorded>;
// Decoded once: each answer writes the same Buffer, as a cache hit writes its stored bytes.
const answers = new Map(Object.entries(recorded).map(([path, r]) => [path, { status: r.status, headers: r.headers, body: Buffer.from(r.body, 'base64') }]));

const server = createServer((req, res) => {
  const answer = answers.get(req.url ?? '');
  if (answer) {
    res.writeHead(answer.status, answer.headers).end(answer.body);
    return;
  }
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  res.writeHead(404).end();
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
process.once('SIGTERM', () => server.close(() => process.exit(0)));
