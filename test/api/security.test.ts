import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { expect } from 'chai';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { createClient } from 'redis';
import { startTestServer, ADMIN, type TestServer } from '../helpers/server.ts';
import { usingRedis } from '../helpers/database.ts';
import { aRole, aUser } from '../helpers/principals.ts';
import { aKey, aTenant, RELAXED_AUTH_LIMITS } from '../helpers/tenants.ts';

interface Dump {
  /** Every row of every table, as JSON text, one entry per row. */
  rows: string[];
  /** Raw bytes of the database files (SQLite: the file, -wal and -shm); empty on PostgreSQL. */
  files: { name: string; bytes: Buffer }[];
  /** ApiKey rows as stored. */
  apiKeys: { publicId: string; secretHash: string }[];
}

const stringify = (row: unknown) =>
  JSON.stringify(row, (_key, value) => (value && typeof value === 'object' && value.type === 'Buffer' ? Buffer.from(value.data).toString('latin1') : typeof value === 'bigint' ? String(value) : value));

async function dumpDatabase(server: TestServer): Promise<Dump> {
  if (server.database.dialect === 'postgresql') {
    const client = new pg.Client({ connectionString: server.database.url });
    await client.connect();
    try {
      const tables = await client.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name",
      );
      const rows: string[] = [];
      for (const { table_name: table } of tables.rows) {
        const result = await client.query<{ row: unknown }>(`SELECT row_to_json(t)::text AS row FROM "public"."${table.replace(/"/g, '""')}" t`);
        for (const r of result.rows) rows.push(String(r.row));
      }
      const keys = await client.query<{ publicId: string; secretHash: string }>('SELECT "publicId", "secretHash" FROM "public"."ApiKey"');
      return { rows, files: [], apiKeys: keys.rows };
    } finally {
      await client.end();
    }
  }
  const file = server.database.file!;
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
    const rows: string[] = [];
    for (const { name } of tables) {
      for (const row of db.prepare(`SELECT * FROM "${name.replace(/"/g, '""')}"`).all()) rows.push(stringify(row));
    }
    const apiKeys = db.prepare('SELECT publicId, secretHash FROM ApiKey').all() as Dump['apiKeys'];
    const files = [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]
      .filter((name) => existsSync(name))
      .map((name) => ({ name, bytes: readFileSync(name) }));
    return { rows, files, apiKeys };
  } finally {
    db.close();
  }
}

const hex = (algorithm: string, value: string) => createHash(algorithm).update(value).digest('hex');

describe('secrets at rest', () => {
  let server: TestServer;
  /** Every key string handed out in this file. */
  const keys: string[] = [];
  /** Every password set in this file. */
  const passwords: string[] = [ADMIN.password];
  const logins: string[] = [ADMIN.email];
  let dump: Dump;

  before(async () => {
    server = await startTestServer(RELAXED_AUTH_LIMITS);
    keys.push(server.adminKey);

    // Users of the root tenant with keys from JSON and from form-encoded POST /auth.
    for (let i = 0; i < 3; i += 1) {
      const user = await aUser(server, ['useApi', 'profile']);
      keys.push(user.key);
      passwords.push(user.password);
      logins.push(user.login);
      const form = await server.request('POST', '/api/v1/auth', { form: { user: user.login, password: user.password, description: 'form key' } });
      expect(form.status).to.equal(200);
      keys.push(form.body.authToken.keyString);
    }

    // A key made for another user by a caller with generateOthersApiKeys.
    const minter = await aUser(server, ['useApi', 'generateOthersApiKeys']);
    keys.push(minter.key);
    passwords.push(minter.password);
    const target = await aUser(server, ['useApi']);
    keys.push(target.key);
    passwords.push(target.password);
    const minted = await server.request('POST', '/api/v1/auth', { key: minter.key, body: { user: target.login, description: 'minted' } });
    expect(minted.status, JSON.stringify(minted.body)).to.equal(200);
    keys.push(minted.body.authToken.keyString);

    // A password changed afterwards (the old and the new one), and a revoked key.
    const changed = await aUser(server, ['useApi']);
    passwords.push(changed.password);
    keys.push(changed.key);
    const newPassword = `changed-${randomBytes(8).toString('hex')}`;
    passwords.push(newPassword);
    const patched = await server.request('PATCH', `/api/v1/admin/users/${changed.id}`, { key: server.adminKey, body: { password: newPassword } });
    expect(patched.status).to.equal(200);
    keys.push(await aKey(server, changed.login, newPassword));
    const revoked = await server.request('POST', '/api/v1/deauth', { body: { key: changed.key } });
    expect(revoked.status).to.equal(200);

    // A user created without a key, and a second tenant with its operator and a user.
    const keyless = `keyless-${randomBytes(8).toString('hex')}`;
    passwords.push(keyless);
    const role = await aRole(server, ['profile']);
    const created = await server.request('POST', '/api/v1/admin/users', {
      key: server.adminKey,
      body: { login: `keyless-${randomBytes(3).toString('hex')}@example.com`, name: 'Keyless', password: keyless, roles: [role.id] },
    });
    expect(created.status).to.equal(201);
    const tenant = await aTenant(server);
    keys.push(tenant.admin.key);
    passwords.push(tenant.admin.password);
    logins.push(tenant.admin.login);
    const bUser = await aUser(server, ['useApi'], { key: tenant.admin.key, host: tenant.host });
    keys.push(bUser.key);
    passwords.push(bUser.password);

    dump = await dumpDatabase(server);
  });
  after(() => server.stop());

  describe('a database dump', () => {
    it('is a real dump: it holds the users, and every key by its public id', () => {
      const text = dump.rows.join('\n');
      for (const login of logins) expect(text).to.include(login);
      for (const key of keys) expect(text).to.include(key.slice(0, key.indexOf(':')));
      expect(dump.apiKeys.length).to.be.at.least(keys.length);
      if (server.database.dialect === 'sqlite') expect(dump.files.length).to.be.at.least(1);
    });

    it('contains no key string and no key secret, in any row or file byte', () => {
      const text = dump.rows.join('\n');
      for (const key of keys) {
        const secret = key.slice(key.indexOf(':') + 1);
        expect(secret.length).to.be.greaterThan(20);
        expect(text.includes(key), `key ${key} in rows`).to.equal(false);
        expect(text.includes(secret), `secret of ${key} in rows`).to.equal(false);
        for (const file of dump.files) {
          expect(file.bytes.includes(Buffer.from(key)), `key in ${file.name}`).to.equal(false);
          expect(file.bytes.includes(Buffer.from(secret)), `secret in ${file.name}`).to.equal(false);
        }
      }
    });

    it('contains no password, nor an unsalted fast hash of one', () => {
      const text = dump.rows.join('\n');
      for (const password of passwords) {
        const forms = [password, hex('sha256', password), hex('sha1', password), hex('md5', password), Buffer.from(password).toString('base64')];
        for (const form of forms) {
          expect(text.includes(form), `password form ${form} in rows`).to.equal(false);
          for (const file of dump.files) expect(file.bytes.includes(Buffer.from(form)), `password form in ${file.name}`).to.equal(false);
        }
      }
    });

    it('stores only a hash of each secret', () => {
      for (const key of keys) {
        const publicId = key.slice(0, key.indexOf(':'));
        const row = dump.apiKeys.find((k) => k.publicId === publicId);
        expect(row, publicId).to.not.equal(undefined);
        expect(row!.secretHash).to.match(/^[0-9a-f]{64}$/);
        expect(row!.secretHash).to.not.equal(key.slice(key.indexOf(':') + 1));
      }
    });
  });

  describe('when a key is built from a leaked row', () => {
    it('answers 403 API_KEY_INVALID for publicId:secretHash', async () => {
      const adminPublicId = server.adminKey.slice(0, server.adminKey.indexOf(':'));
      const row = dump.apiKeys.find((k) => k.publicId === adminPublicId)!;
      const forged = `${row.publicId}:${row.secretHash}`;
      for (const path of ['/api/v1/app/backend.version', '/api/v1/admin/users']) {
        const res = await server.request('GET', path, { key: forged });
        expect(res.status, path).to.equal(403);
        expect(res.body.code).to.equal('API_KEY_INVALID');
      }
      const bearer = await server.request('GET', '/api/v1/app/backend.version', { headers: { authorization: `Bearer ${forged}` } });
      expect(bearer.status).to.equal(403);
      expect(bearer.body.code).to.equal('API_KEY_INVALID');
      const status = await server.request('GET', '/api/v1/auth', { key: forged });
      expect(status.body).to.deep.equal({ status: 'invalid', validTo: '' });
    });

    it('answers 403 API_KEY_INVALID for every leaked row, and for a bare public id', async () => {
      for (const row of dump.apiKeys) {
        const res = await server.request('GET', '/api/v1/app/backend.version', { key: `${row.publicId}:${row.secretHash}` });
        expect(res.status).to.equal(403);
        expect(res.body.code).to.equal('API_KEY_INVALID');
      }
      for (const malformed of [dump.apiKeys[0].publicId, `${dump.apiKeys[0].publicId}:`, `:${dump.apiKeys[0].secretHash}`]) {
        const res = await server.request('GET', '/api/v1/app/backend.version', { key: malformed });
        expect(res.status, malformed).to.equal(403);
        expect(res.body.code).to.equal('API_KEY_INVALID');
      }
    });

    it('cannot be revoked through POST /deauth either', async () => {
      const row = dump.apiKeys[0];
      const res = await server.request('POST', '/api/v1/deauth', { body: { key: `${row.publicId}:${row.secretHash}` } });
      expect(res.status).to.equal(403);
      expect(res.body.code).to.equal('API_KEY_INVALID');
    });
  });

  describe('the shared Redis store', () => {
    it('holds no key string, key secret or password', async function () {
      if (!usingRedis()) this.skip();
      const client = createClient({ url: process.env.REDIS_URL });
      await client.connect();
      try {
        const names: string[] = [];
        for await (const batch of client.scanIterator({ MATCH: `${server.redisPrefix}*`, COUNT: 500 })) names.push(...(Array.isArray(batch) ? batch : [batch]));
        expect(names.length).to.be.greaterThan(0);
        const values: string[] = [];
        for (const name of names) {
          const type = await client.type(name);
          if (type === 'string') values.push(String(await client.get(name)));
          else if (type === 'hash') values.push(JSON.stringify(await client.hGetAll(name)));
        }
        const text = `${names.join('\n')}\n${values.join('\n')}`;
        for (const key of keys) expect(text.includes(key.slice(key.indexOf(':') + 1)), 'key secret in Redis').to.equal(false);
        for (const password of passwords) expect(text.includes(password), 'password in Redis').to.equal(false);
      } finally {
        await client.quit();
      }
    });
  });
});

describe('POST /auth credentials', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer(RELAXED_AUTH_LIMITS);
  });
  after(() => server.stop());

  describe('when the password is wrong or the user unknown', () => {
    it('answers 401 INVALID_CREDENTIALS with the same message for both', async () => {
      const user = await aUser(server, ['useApi']);
      const wrong = await server.request('POST', '/api/v1/auth', { body: { user: user.login, password: `${user.password}x` } });
      const unknown = await server.request('POST', '/api/v1/auth', { body: { user: `nobody-${randomBytes(3).toString('hex')}@example.com`, password: user.password } });
      for (const res of [wrong, unknown]) {
        expect(res.status).to.equal(401);
        expect(res.body.code).to.equal('INVALID_CREDENTIALS');
      }
      expect(unknown.body.message).to.equal(wrong.body.message);
      const strip = ({ requestId: _r, ...rest }: Record<string, unknown>) => rest;
      expect(strip(unknown.body)).to.deep.equal(strip(wrong.body));
      expect(JSON.stringify(wrong.body)).to.not.include(user.login);
    });

    it('answers the same for form-encoded fields', async () => {
      const user = await aUser(server, ['useApi']);
      const wrong = await server.request('POST', '/api/v1/auth', { form: { user: user.login, password: 'not-the-password' } });
      const unknown = await server.request('POST', '/api/v1/auth', { form: { user: 'ghost@example.com', password: 'not-the-password' } });
      expect(wrong.status).to.equal(401);
      expect(unknown.status).to.equal(401);
      expect(wrong.body.code).to.equal('INVALID_CREDENTIALS');
      expect(unknown.body.code).to.equal('INVALID_CREDENTIALS');
      expect(unknown.body.message).to.equal(wrong.body.message);
    });
  });

  describe('when the password is omitted without generateOthersApiKeys', () => {
    it('answers 401 INVALID_CREDENTIALS for a known and an unknown user alike', async () => {
      const user = await aUser(server, ['useApi']);
      const known = await server.request('POST', '/api/v1/auth', { body: { user: user.login } });
      const unknown = await server.request('POST', '/api/v1/auth', { body: { user: 'ghost@example.com' } });
      const withWeakKey = await server.request('POST', '/api/v1/auth', { key: user.key, body: { user: ADMIN.email } });
      for (const res of [known, unknown, withWeakKey]) {
        expect(res.status).to.equal(401);
        expect(res.body.code).to.equal('INVALID_CREDENTIALS');
        expect(res.body.message).to.equal(known.body.message);
      }
    });
  });

  describe('when a user without a password signs in with an empty one', () => {
    it('answers 401 INVALID_CREDENTIALS', async () => {
      const role = await aRole(server, ['useApi']);
      const login = `nopass-${randomBytes(3).toString('hex')}@example.com`;
      const created = await server.request('POST', '/api/v1/admin/users', { key: server.adminKey, body: { login, name: 'No password', roles: [role.id] } });
      expect(created.status).to.equal(201);
      for (const password of ['', 'anything-at-all']) {
        const res = await server.request('POST', '/api/v1/auth', { body: { user: login, password } });
        expect(res.status, JSON.stringify(password)).to.equal(401);
        expect(res.body.code).to.equal('INVALID_CREDENTIALS');
      }
    });
  });
});
