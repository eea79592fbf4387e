import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { ADMIN, startTestServer, type TestServer } from '../helpers/server.ts';
import { aRole, aUser } from '../helpers/principals.ts';
import { aType, anItem, aUserWithGrants, countOf, type ItemTypeBody } from '../helpers/collections.ts';

// Issue 7, "Privilege and disclosure": a key minted for another user carries no more than the
// caller holds; a write without `show` discloses nothing of the item; operators cannot disarm
// superusers; hidden types, references, unique values and error bodies leak nothing.

const admin = (server: TestServer) => ({ key: server.adminKey });

describe('hardening: keys minted for others carry no more than the caller holds', () => {
  let server: TestServer;
  let type: ItemTypeBody;
  before(async () => {
    server = await startTestServer();
    type = await aType(server, [{ systemName: 'title', kind: 'string' }]);
  });
  after(() => server.stop());

  const mint = (callerKey: string, login: string) => server.request('POST', '/api/v1/auth', { key: callerKey, body: { user: login } });
  const keysOf = async (userId: number) => (await server.request('GET', `/api/v1/admin/keys?userId=${userId}`, admin(server))).body.data.length as number;

  describe('when the target holds a system permission the caller lacks', () => {
    it("answers 403 for an operator's key and mints nothing, but mints one for a user holding less", async () => {
      const minter = await aUser(server, ['useApi', 'generateOthersApiKeys', 'profile']);
      const operator = await aUser(server, ['useApi', 'appManagement']);
      const before = await keysOf(operator.id);
      const res = await mint(minter.key, operator.login);
      expect(res.status, JSON.stringify(res.body)).to.equal(403);
      expect(res.body.code).to.equal('KEY_EXCEEDS_CALLER');
      expect(res.body.message).to.not.include('appManagement');
      expect(await keysOf(operator.id)).to.equal(before);
      const me = await server.request('GET', '/api/v1/app/user.current', { key: minter.key });
      expect(me.body.permissions).to.not.include('appManagement');
      const plain = await aUser(server, ['useApi', 'profile']);
      const allowed = await mint(minter.key, plain.login);
      expect(allowed.status, JSON.stringify(allowed.body)).to.equal(200);
      expect(allowed.body.authToken.userId).to.equal(plain.id);
      // The root superuser holds everything: it still mints any key.
      expect((await mint(server.adminKey, operator.login)).status).to.equal(200);
    });
  });

  describe('when the target holds a type grant the caller lacks', () => {
    it('answers 403 for a grant on a type the caller has none on and for an action beyond it, but mints for fewer or the same grants', async () => {
      const minter = await aUser(server, ['useApi', 'generateOthersApiKeys'], { typePermissions: [{ typeId: type.id, show: true, edit: true }] });
      const deleter = await aUser(server, ['useApi'], { typePermissions: [{ typeId: type.id, show: true, delete: true }] });
      const other = await aType(server, [{ systemName: 'x', kind: 'string' }]);
      const reader = await aUser(server, ['useApi'], { typePermissions: [{ typeId: other.id, show: true }] });
      for (const target of [deleter, reader]) {
        const res = await mint(minter.key, target.login);
        expect(res.status, JSON.stringify(res.body)).to.equal(403);
        expect(res.body.code).to.equal('KEY_EXCEEDS_CALLER');
        expect(await keysOf(target.id)).to.equal(1);
      }
      const fewer = await aUser(server, ['useApi'], { typePermissions: [{ typeId: type.id, show: true }] });
      const same = await aUser(server, ['useApi', 'generateOthersApiKeys'], { typePermissions: [{ typeId: type.id, show: true, edit: true }] });
      for (const target of [fewer, same]) {
        const res = await mint(minter.key, target.login);
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        expect(res.body.authToken.userId).to.equal(target.id);
      }
    });
  });
});

describe('hardening: a write without show discloses nothing of the item', () => {
  let server: TestServer;
  let type: ItemTypeBody;
  let editor: { key: string; id: number };
  let viewerEditor: { key: string; id: number };
  let creator: { key: string };
  let tagId: number;
  before(async () => {
    server = await startTestServer();
    type = await aType(server, [{ systemName: 'title', kind: 'string' }, { systemName: 'secret', kind: 'string' }], { readLog: true });
    editor = await aUserWithGrants(server, [{ typeId: type.id, edit: true }]);
    viewerEditor = await aUserWithGrants(server, [{ typeId: type.id, show: true, edit: true }]);
    creator = await aUserWithGrants(server, [{ typeId: type.id, create: true }]);
    await server.request('PATCH', '/api/v1/admin/roles/1', { ...admin(server), body: { typePermissions: [{ typeId: type.id, show: true, create: true, edit: true, delete: true }] } });
    tagId = (await server.request('POST', '/api/v1/collection/tags', { ...admin(server), body: { name: 'public tag', private: false } })).body.id;
  });
  after(() => server.stop());

  const anItemOf = () => anItem(server, type.systemName, { title: 'T', secret: 'classified' }, admin(server));
  const asAdmin = async (id: number) => {
    const before = (await server.request('GET', `/api/v1/admin/read-audit?itemId=${id}`, admin(server))).body.data.length;
    const res = await server.request('GET', `/api/v1/collection/${type.systemName}/${id}`, admin(server));
    return { item: res.body, auditsBefore: before };
  };
  const audits = async (id: number) => (await server.request('GET', `/api/v1/admin/read-audit?itemId=${id}`, admin(server))).body.data as { userId: number }[];

  describe('when the caller may edit but not show', () => {
    it('answers PATCH {} with only id and uuid, stamps nothing and logs no read', async () => {
      const item = await anItemOf();
      const res = await server.request('PATCH', `/api/v1/collection/${type.systemName}/${item.id}`, { key: editor.key, body: {} });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ id: item.id, uuid: item.uuid });
      const { item: after } = await asAdmin(item.id);
      expect(after.updated_on).to.equal(item.updated_on);
      expect(after.updated_by).to.equal(item.updated_by);
      expect((await audits(item.id)).filter((a) => a.userId === editor.id)).to.deep.equal([]);
    });

    it('answers PATCH and PUT with only id and uuid, and the change is made', async () => {
      const item = await anItemOf();
      const patched = await server.request('PATCH', `/api/v1/collection/${type.systemName}/${item.id}`, { key: editor.key, body: { title: 'patched' } });
      expect(patched.status).to.equal(200);
      expect(patched.body).to.deep.equal({ id: item.id, uuid: item.uuid });
      const put = await server.request('PUT', `/api/v1/collection/${type.systemName}/${item.id}`, { key: editor.key, body: { title: 'put' } });
      expect(put.status).to.equal(200);
      expect(put.body).to.deep.equal({ id: item.id, uuid: item.uuid });
      const { item: after } = await asAdmin(item.id);
      expect(after.title).to.equal('put');
      expect(after.updated_by).to.equal(editor.id);
    });

    it('answers POST (create without show) with only id and uuid', async () => {
      const res = await server.request('POST', `/api/v1/collection/${type.systemName}`, { key: creator.key, body: { title: 'new' } });
      expect(res.status).to.equal(201);
      expect(Object.keys(res.body).sort()).to.deep.equal(['id', 'uuid']);
      expect((await asAdmin(res.body.id)).item.title).to.equal('new');
    });

    it("answers tags.assign without the item's tags, and with them to a caller who may show", async () => {
      const item = await anItemOf();
      const res = await server.request('POST', '/api/v1/app/tags.assign', { key: editor.key, body: { type: type.systemName, item: item.id, operation: 'add', tags: [tagId] } });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body).to.deep.equal({ typeId: type.id, objectId: item.id, operation: 'add' });
      const tags = await server.request('GET', `/api/v1/app/tags.object?type=${type.systemName}&item=${item.id}`, admin(server));
      expect(tags.body.tags.map((t: { id: number }) => t.id)).to.deep.equal([tagId]);
      const seen = await server.request('POST', '/api/v1/app/tags.assign', { key: viewerEditor.key, body: { type: type.systemName, item: item.id, operation: 'add', tags: [tagId] } });
      expect(seen.status).to.equal(200);
      expect(seen.body.tags.map((t: { id: number }) => t.id)).to.deep.equal([tagId]);
    });
  });

  describe('when the caller may edit and show', () => {
    it('answers PATCH {} with the unchanged item, and stamps nothing', async () => {
      const item = await anItemOf();
      const res = await server.request('PATCH', `/api/v1/collection/${type.systemName}/${item.id}`, { key: viewerEditor.key, body: {} });
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ id: item.id, title: 'T', secret: 'classified', updated_on: item.updated_on, updated_by: item.updated_by });
      const { item: after } = await asAdmin(item.id);
      expect(after.updated_on).to.equal(item.updated_on);
      expect(after.updated_by).to.equal(item.updated_by);
    });

    it('answers PATCH with the full item, logged as a read on a read-logged type', async () => {
      const item = await anItemOf();
      const res = await server.request('PATCH', `/api/v1/collection/${type.systemName}/${item.id}`, { key: viewerEditor.key, body: { title: 'seen' } });
      expect(res.body).to.include({ id: item.id, title: 'seen', secret: 'classified', updated_by: viewerEditor.id });
      expect((await audits(item.id)).filter((a) => a.userId === viewerEditor.id)).to.have.length(1);
    });
  });
});

describe('hardening: root operators without manageTenants cannot disarm superusers', () => {
  let server: TestServer;
  let operator: { key: string; id: number };
  let superRole: { id: number };
  let plainRole: { id: number };
  before(async () => {
    server = await startTestServer();
    operator = await aUser(server, ['useApi', 'appManagement']);
    superRole = await aRole(server, ['useApi', 'profile', 'manageTenants']);
    plainRole = await aRole(server, ['useApi']);
  });
  after(() => server.stop());

  /** A user whose manageTenants comes only through a group, with a key. */
  async function aSuperGroup() {
    const login = `super-${randomBytes(3).toString('hex')}@example.com`;
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const user = await server.request('POST', '/api/v1/admin/users', { ...admin(server), body: { login, name: 'Super', password } });
    const group = await server.request('POST', '/api/v1/admin/groups', { ...admin(server), body: { name: `g-${randomBytes(3).toString('hex')}`, roles: [superRole.id], users: [user.body.id] } });
    expect(group.status, JSON.stringify(group.body)).to.equal(201);
    const key = (await server.request('POST', '/api/v1/auth', { body: { user: login, password } })).body.authToken;
    return { userId: user.body.id as number, groupId: group.body.id as number, key: key.keyString as string, keyId: key.id as number };
  }
  const holdsTenants = async (key: string) => {
    const me = await server.request('GET', '/api/v1/app/user.current', { key });
    return me.status === 200 && (me.body.permissions as string[]).includes('manageTenants');
  };

  describe("on a group that carries manageTenants", () => {
    it('answers 403 on replacing its roles or deleting it, and the members keep manageTenants; a peer may do both', async () => {
      const su = await aSuperGroup();
      const roles = await server.request('PATCH', `/api/v1/admin/groups/${su.groupId}`, { key: operator.key, body: { roles: [plainRole.id] } });
      expect(roles.status).to.equal(403);
      expect(roles.body).to.include({ code: 'PERMISSION_DENIED', message: 'Missing permission "manageTenants"' });
      const deleted = await server.request('DELETE', `/api/v1/admin/groups/${su.groupId}`, { key: operator.key });
      expect(deleted.status).to.equal(403);
      expect(deleted.body.code).to.equal('PERMISSION_DENIED');
      expect((await server.request('GET', `/api/v1/admin/groups/${su.groupId}`, admin(server))).body.roles).to.deep.equal([superRole.id]);
      expect(await holdsTenants(su.key)).to.equal(true);
      const byPeer = await server.request('PATCH', `/api/v1/admin/groups/${su.groupId}`, { ...admin(server), body: { roles: [plainRole.id] } });
      expect(byPeer.status).to.equal(200);
      expect(await holdsTenants(su.key)).to.equal(false);
      expect((await server.request('DELETE', `/api/v1/admin/groups/${su.groupId}`, admin(server))).status).to.equal(204);
      // A group without manageTenants stays the operator's to change and delete.
      const group = await server.request('POST', '/api/v1/admin/groups', { key: operator.key, body: { name: `plain-${randomBytes(3).toString('hex')}`, roles: [plainRole.id] } });
      expect((await server.request('PATCH', `/api/v1/admin/groups/${group.body.id}`, { key: operator.key, body: { roles: [] } })).status).to.equal(200);
      expect((await server.request('DELETE', `/api/v1/admin/groups/${group.body.id}`, { key: operator.key })).status).to.equal(204);
    });
  });

  describe("on a superuser's key", () => {
    it("answers 403 on revoking it by id and the key still works; a peer may revoke it, the operator a plain user's key", async () => {
      const su = await aSuperGroup();
      const res = await server.request('DELETE', `/api/v1/admin/keys/${su.keyId}`, { key: operator.key });
      expect(res.status).to.equal(403);
      expect(res.body.code).to.equal('PERMISSION_DENIED');
      expect(await holdsTenants(su.key)).to.equal(true);
      const direct = await server.request('POST', '/api/v1/auth', { body: { user: ADMIN.email, password: ADMIN.password } });
      expect((await server.request('DELETE', `/api/v1/admin/keys/${direct.body.authToken.id}`, { key: operator.key })).status).to.equal(403);
      expect((await server.request('DELETE', `/api/v1/admin/keys/${su.keyId}`, admin(server))).status).to.equal(204);
      expect((await server.request('GET', '/api/v1/app/user.current', { key: su.key })).status).to.equal(403);
      const plain = await aUser(server, ['useApi']);
      const keyId = (await server.request('GET', `/api/v1/admin/keys?userId=${plain.id}`, admin(server))).body.data[0].id;
      expect((await server.request('DELETE', `/api/v1/admin/keys/${keyId}`, { key: operator.key })).status).to.equal(204);
    });
  });
});

describe('hardening: small leaks', () => {
  let server: TestServer;
  let hidden: ItemTypeBody;
  let visible: ItemTypeBody;
  before(async () => {
    server = await startTestServer();
    hidden = await aType(server, [{ systemName: 'file', kind: 'file' }, { systemName: 'code', kind: 'string', unique: true }]);
    visible = await aType(server, [{ systemName: 'code', kind: 'string', unique: true }, { systemName: 'nums', kind: 'integer', multiple: true }]);
    await server.request('PATCH', '/api/v1/admin/roles/1', {
      ...admin(server),
      body: { typePermissions: [hidden, visible].map((t) => ({ typeId: t.id, show: true, create: true, edit: true, delete: true })) },
    });
  });
  after(() => server.stop());

  describe('a type the caller holds no grant on', () => {
    /** Every route that takes a type name from the request, for a given type name and item. */
    const routes = (name: string, item: number) => [
      ['GET', `/api/v1/collection/${name}`, undefined],
      ['POST', `/api/v1/collection/${name}`, { code: 'x' }],
      ['GET', `/api/v1/collection/${name}/${item}`, undefined],
      ['PATCH', `/api/v1/collection/${name}/${item}`, {}],
      ['PUT', `/api/v1/collection/${name}/${item}`, {}],
      ['DELETE', `/api/v1/collection/${name}/${item}`, undefined],
      ['GET', `/api/v1/collection/${name}/get-by/code/x`, undefined],
      ['GET', `/api/v1/schema/${name}`, undefined],
      ['GET', `/api/v1/files/${name}/${item}/file/a.txt`, undefined],
      ['GET', `/api/v1/app/tags.object?type=${name}&item=${item}`, undefined],
      ['POST', '/api/v1/app/tags.assign', { type: name, item, operation: 'add', tags: [] }],
    ] as const;

    it('answers 404 exactly like a type that does not exist, on every route that names one', async () => {
      const item = await anItem(server, hidden.systemName, { code: 'h1' }, admin(server));
      const stranger = await aUserWithGrants(server, [{ typeId: visible.id, show: true }]);
      const unknown = 'no_such_type';
      for (const name of [hidden.systemName, String(hidden.id)]) {
        const sent = routes(name, item.id);
        const control = routes(unknown, item.id);
        for (const [i, [method, path, body]] of sent.entries()) {
          const res = await server.request(method, path, { key: stranger.key, body });
          const ref = await server.request(control[i][0], control[i][1], { key: stranger.key, body: control[i][2] });
          expect(res.status, `${method} ${path}`).to.equal(404);
          expect(res.body.code, `${method} ${path}`).to.equal(ref.body.code);
          expect(res.body.message, `${method} ${path}`).to.equal(ref.body.message.replace(unknown, name));
        }
      }
      const upload = new FormData();
      upload.append('file', new Blob(['hello'], { type: 'text/plain' }), 'a.txt');
      const res = await server.request('POST', `/api/v1/upload/${hidden.systemName}/file`, { key: stranger.key, multipart: upload });
      const again = new FormData();
      again.append('file', new Blob(['hello'], { type: 'text/plain' }), 'a.txt');
      const ref = await server.request('POST', `/api/v1/upload/${unknown}/file`, { key: stranger.key, multipart: again });
      expect(res.status).to.equal(404);
      expect(res.body.message).to.equal(ref.body.message.replace(unknown, hidden.systemName));
      // A caller who holds some grant on the type knows it: the 403 names it.
      const creator = await aUserWithGrants(server, [{ typeId: hidden.id, create: true }]);
      const known = await server.request('GET', `/api/v1/collection/${hidden.systemName}`, { key: creator.key });
      expect(known.status).to.equal(403);
      expect(known.body.message).to.include(hidden.systemName);
    });

    it('is not named when a reference points into it (a known one is)', async () => {
      const target = await aType(server, [{ systemName: 'n', kind: 'string' }]);
      const source = await aType(server, [{ systemName: 'ref', kind: 'reference', referenceType: target.id }]);
      const writer = await aUserWithGrants(server, [{ typeId: source.id, show: true, create: true }]);
      const res = await server.request('POST', `/api/v1/collection/${source.systemName}`, { key: writer.key, body: { ref: 1 } });
      expect(res.status).to.equal(403);
      expect(res.body.message).to.not.include(target.systemName);
      expect(res.body.message).to.include('ref');
      // Known to the caller (a grant without show), the type is named.
      const knowing = await aUserWithGrants(server, [{ typeId: source.id, show: true, create: true }, { typeId: target.id, create: true }]);
      const named = await server.request('POST', `/api/v1/collection/${source.systemName}`, { key: knowing.key, body: { ref: 1 } });
      expect(named.status).to.equal(403);
      expect(named.body.message).to.include(target.systemName);
    });
  });

  describe('deleting an item that items of hidden types reference', () => {
    let person: ItemTypeBody;
    let note: ItemTypeBody;
    let secretTask: ItemTypeBody;
    before(async () => {
      person = await aType(server, [{ systemName: 'name', kind: 'string' }]);
      note = await aType(server, [{ systemName: 'about', kind: 'reference', referenceType: person.id }]);
      secretTask = await aType(server, [{ systemName: 'owner', kind: 'reference', referenceType: person.id }]);
      await server.request('PATCH', '/api/v1/admin/roles/1', {
        ...admin(server),
        body: { typePermissions: [hidden, visible, person, note, secretTask].map((t) => ({ typeId: t.id, show: true, create: true, edit: true, delete: true })) },
      });
    });
    async function referenced() {
      const p = await anItem(server, person.systemName, { name: 'Ada' }, admin(server));
      await anItem(server, note.systemName, { about: p.id }, admin(server));
      for (let i = 0; i < 3; i++) await anItem(server, secretTask.systemName, { owner: p.id }, admin(server));
      return p;
    }
    const deleter = () => aUserWithGrants(server, [{ typeId: person.id, show: true, delete: true }, { typeId: note.id, show: true, edit: true, delete: true }]);

    it('answers strict=true with a count of visible referencing items only, naming no hidden type; all of them for a caller who sees all', async () => {
      const p = await referenced();
      const res = await server.request('DELETE', `/api/v1/collection/${person.systemName}/${p.id}?strict=true`, { key: (await deleter()).key });
      expect(res.status).to.equal(409);
      expect(res.body.code).to.equal('STILL_REFERENCED');
      expect(res.body.message).to.not.include(secretTask.systemName);
      expect(res.body.message).to.match(/\b1 other item/);
      expect(res.body.message).to.not.match(/\b4\b|\b3\b/);
      const all = await server.request('DELETE', `/api/v1/collection/${person.systemName}/${p.id}?strict=true`, admin(server));
      expect(all.status).to.equal(409);
      expect(all.body.message).to.match(/\b4 other item/);
    });

    it('answers 409 STILL_REFERENCED without naming the hidden type when clearing or cascading would touch it, and deletes nothing', async () => {
      const p = await referenced();
      const key = (await deleter()).key;
      for (const query of ['', '?cascade=true']) {
        const res = await server.request('DELETE', `/api/v1/collection/${person.systemName}/${p.id}${query}`, { key });
        expect(res.status, query).to.equal(409);
        expect(res.body.code).to.equal('STILL_REFERENCED');
        expect(res.body.message).to.not.include(secretTask.systemName);
        expect(res.body.message).to.not.match(/\b3\b|\b4\b/);
      }
      expect((await server.request('GET', `/api/v1/collection/${person.systemName}/${p.id}`, admin(server))).status).to.equal(200);
    });
  });

  describe('a duplicate unique value', () => {
    it('is refused without naming the property to a caller who may create but not show, and named to one who may show', async () => {
      await anItem(server, visible.systemName, { code: 'taken' }, admin(server));
      const before = await countOf(server, visible.systemName, admin(server));
      const creator = await aUserWithGrants(server, [{ typeId: visible.id, create: true }]);
      const res = await server.request('POST', `/api/v1/collection/${visible.systemName}`, { key: creator.key, body: { code: 'taken' } });
      expect(res.status).to.equal(409);
      expect(res.body.code).to.equal('UNIQUE_VIOLATION');
      expect(res.body.message).to.not.include('"code"');
      expect(res.body).to.not.have.property('details');
      expect(await countOf(server, visible.systemName, admin(server))).to.equal(before);
      const reader = await aUserWithGrants(server, [{ typeId: visible.id, create: true, show: true }]);
      const named = await server.request('POST', `/api/v1/collection/${visible.systemName}`, { key: reader.key, body: { code: 'taken' } });
      expect(named.status).to.equal(409);
      expect(named.body.message).to.include('"code"');
    });
  });

  describe('a request with very many invalid fields', () => {
    it('answers at most 50 details plus one saying how many more, in a body smaller than the request; every detail when few', async () => {
      const body = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, 0]));
      const sent = JSON.stringify(body).length;
      const res = await server.request('POST', `/api/v1/collection/${visible.systemName}`, { ...admin(server), body });
      expect(res.status).to.equal(400);
      expect(res.body.code).to.equal('VALIDATION_FAILED');
      expect(res.body.details).to.have.length(51);
      expect(res.body.details[50].message).to.match(/1950 more/);
      expect(res.text.length).to.be.lessThan(sent);
      const few = await server.request('POST', `/api/v1/collection/${visible.systemName}`, { ...admin(server), body: { a: 1, b: 2, nums: ['x'] } });
      expect(few.status).to.equal(400);
      expect(few.body.details.map((d: { path: string }) => d.path).sort()).to.deep.equal(['body.a', 'body.b', 'body.nums']);
      expect(few.body.details.every((d: { path?: string }) => d.path)).to.equal(true);
    });

    it('shortens a detail that echoes a very long key', async () => {
      const res = await server.request('POST', `/api/v1/collection/${visible.systemName}`, { ...admin(server), body: { ['k'.repeat(5000)]: 1 } });
      expect(res.status).to.equal(400);
      expect(res.body.details).to.have.length(1);
      expect(res.body.details[0].path.length).to.be.at.most(200);
      expect(res.text.length).to.be.lessThan(1000);
    });
  });
});

