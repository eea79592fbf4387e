// LOG_FORMAT: the server's log lines as JSON (a pipe, a file, a collector) or human-readable (a
// terminal), through a real process: `auto` follows whether stdout is a terminal, `json` and
// `pretty` force one. The terminal is a pseudo-terminal from util-linux `script`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { freePort, rawStatus, runUntilExit, serverEnv, startServerProcess, stopAllProcesses, TrackedProcess, type ServerProcess } from '../helpers/process.ts';

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
const logLines = (stdout: string) => stdout.replace(ANSI, '').split(/\r?\n/).filter((line) => /^\[\d\d:\d\d:\d\d\.\d{3}\] [A-Z]+:/.test(line));
const parsesAsJson = (line: string) => {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
};

describe('LOG_FORMAT: JSON or human-readable log lines', function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  const databaseUrl = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jetstack-logs-'));
    dirs.push(dir);
    return `file:${path.join(dir, 'jetstack.db')}`;
  };
  const env = () => ({ DATABASE_URL: databaseUrl(), ADMIN_EMAIL: 'ops@example.com', ADMIN_PASSWORD: 'ops-password-123' });

  after(async () => {
    await stopAllProcesses();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  /** A server whose stdout is a pipe, after one logged request (an unknown route: 404). */
  async function serveOnce(format: string | undefined): Promise<ServerProcess> {
    const server = await startServerProcess({ ...env(), LOG_FORMAT: format });
    const res = await server.request('GET', '/api/v1/no-such-route');
    expect(res.status).to.equal(404);
    await server.waitForStdout((out) => out.includes('no-such-route'), 10_000, 'the request log line');
    return server;
  }

  it('pretty (stdout a pipe): every log line is human-readable, none is JSON, and they carry the message and fields', async () => {
    const server = await serveOnce('pretty');
    await server.stop();
    const lines = logLines(server.stdout);
    expect(server.logRecords(), server.describe()).to.deep.equal([]);
    expect(lines.find((line) => /^\[[\d:.]+\] INFO: jetstack-api listening /.test(line)), server.describe()).to.be.a('string');
    const request = lines.find((line) => / INFO: request /.test(line) && line.includes('no-such-route'));
    expect(request, server.describe()).to.include('"path":"/api/v1/no-such-route"').and.include('"status":404');
    expect(lines.every((line) => !parsesAsJson(line))).to.equal(true);
  });

  it('json: every log line is one JSON record (the listening line and the request line among them)', async () => {
    const server = await serveOnce('json');
    await server.stop();
    const records = server.logRecords();
    expect(records.map((r) => r.msg)).to.include.members(['jetstack-api listening', 'request']);
    expect(records.find((r) => r.msg === 'request' && r.path !== '/healthz')).to.include({ path: '/api/v1/no-such-route', status: 404, level: 30 });
    expect(logLines(server.stdout)).to.deep.equal([]);
  });

  it('auto (the default) with stdout a pipe: JSON, as collectors and the other process tests expect', async () => {
    const server = await serveOnce(undefined);
    await server.stop();
    expect(server.logRecords().map((r) => r.msg)).to.include.members(['jetstack-api listening', 'request']);
    expect(logLines(server.stdout)).to.deep.equal([]);
  });

  it('auto with stdout a terminal: human-readable', async () => {
    const port = await freePort();
    // The shell prints its pid, then becomes the server (exec): that pid is the one to stop.
    const command = `echo "pid=$$"; exec ${JSON.stringify(process.execPath)} --import tsx src/main.ts`;
    const tty = new TrackedProcess('server in a pty', 'script', ['-qec', command, '/dev/null'], {
      env: serverEnv({ ...env(), HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'info', TERM: 'xterm' }),
    });
    await tty.waitForStdout((out) => out.includes('jetstack-api listening'), 30_000, 'the listening line');
    expect(await rawStatus(`http://127.0.0.1:${port}/api/v1/no-such-route`)).to.equal(404);
    await tty.waitForStdout((out) => out.includes('no-such-route'), 10_000, 'the request log line');
    const pid = Number(/pid=(\d+)/.exec(tty.stdout)?.[1]);
    expect(pid).to.be.greaterThan(1);
    process.kill(pid, 'SIGTERM');
    if (!(await tty.waitForExit(15_000))) await tty.kill();
    const lines = logLines(tty.stdout);
    expect(lines.find((line) => / INFO: jetstack-api listening /.test(line)), tty.describe()).to.be.a('string');
    expect(lines.find((line) => / INFO: request /.test(line) && line.includes('no-such-route')), tty.describe()).to.include('"status":404');
    expect(tty.stdout.split(/\r?\n/).filter((line) => line.startsWith('{"level"')), tty.describe()).to.deep.equal([]);
  });

  it('pretty keeps the output\'s guarantees: with its reader gone (EPIPE) it keeps answering, and SIGTERM still exits', async () => {
    const server = await startServerProcess({ ...env(), LOG_FORMAT: 'pretty' });
    server.child.stdout!.destroy();
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await server.request('GET', `/api/v1/no-such-route-${i}`)).status);
    expect(new Set(statuses)).to.deep.equal(new Set([404]));
    const exit = await server.stop('SIGTERM', 15_000);
    expect(exit.signal, server.describe()).to.equal(null);
    expect(server.stderr, server.describe()).not.to.match(/Error|EPIPE/);
  });

  it('an unknown LOG_FORMAT is a configuration error naming the choices', async () => {
    const { exit, stderr } = await runUntilExit({ ...env(), HOST: '127.0.0.1', PORT: '0', LOG_FORMAT: 'yaml' });
    expect(exit.code).to.equal(1);
    expect(stderr).to.include('LOG_FORMAT must be one of auto, json, pretty, got "yaml"');
  });
});
