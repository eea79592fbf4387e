import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { REPO_ROOT, serverEnv, startServerProcess, stopAllProcesses, type ServerProcess } from '../helpers/process.ts';

/** `npm run admin -- …` as an operator types it: the same env, a real process. */
function admin(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'scripts/admin.ts', ...args], { cwd: REPO_ROOT, env: serverEnv(env), timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('operator commands from the shell (scripts/admin.ts)', () => {
  let dir: string;
  let env: Record<string, string>;
  let server: ServerProcess;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'jetstack-admin-'));
    env = { DATABASE_URL: `file:${path.join(dir, 'admin.db')}`, ADMIN_EMAIL: 'root@example.com', ADMIN_PASSWORD: 'root-password-1' };
  });
  after(async () => {
    await stopAllProcesses();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the root tenant on an empty database, then a role, a user and a key the server accepts', async () => {
    const role = await admin(env, 'roles:create', '--name', 'Application access', '--permission', 'useApi', '--permission', 'profile');
    expect(role.code, role.stderr).to.equal(0);
    expect(role.stderr).to.include('First start: created the root tenant');
    const roleId = JSON.parse(role.stdout).id as number;

    const user = await admin(env, 'users:create', '--login', 'crm@example.com', '--name', 'Application CRM Connector', '--password', 'crm-password-1', '--role', String(roleId));
    expect(user.code, user.stderr).to.equal(0);
    expect(JSON.parse(user.stdout)).to.include({ login: 'crm@example.com' });

    const key = await admin(env, 'keys:create', '--login', 'crm@example.com', '--description', 'CRM');
    expect(key.code, key.stderr).to.equal(0);
    const { keyString, id } = JSON.parse(key.stdout) as { keyString: string; id: number };

    server = await startServerProcess(env);
    const me = await server.request('GET', '/api/v1/app/user.current', { key: keyString });
    expect(me.status).to.equal(200);
    expect(me.body.login).to.equal('crm@example.com');

    const revoked = await admin(env, 'keys:revoke', '--id', String(id));
    expect(revoked.code, revoked.stderr).to.equal(0);
    // Without Redis the running server sees a change made elsewhere within a second.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const after = await server.request('GET', '/api/v1/app/user.current', { key: keyString });
    expect(after.status).to.equal(403);
    expect(after.body.code).to.equal('API_KEY_INVALID');
  });

  it('exits 1 with a message naming the problem', async () => {
    const unknown = await admin(env, 'roles:create', '--name', 'X', '--permission', 'fly');
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.include('unknown permission(s): fly');
    const missing = await admin(env, 'users:create', '--login', 'a@example.com');
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.include('--name is required');
  });
});
