// The unit of work seen through HTTP: the after-commit work of an item write (removing the bytes
// of the files it drops) runs when the write commits and never when it is refused after its
// files were bound, so a refused write leaves the old bytes on disk and the new promise usable.
import { expect } from 'chai';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { RELAXED_AUTH_LIMITS } from '../helpers/tenants.ts';
import { aType, aUserWithGrants, allGrants, anItem, type ItemTypeBody } from '../helpers/collections.ts';
import type { TestUser } from '../helpers/principals.ts';
import { expectError } from '../helpers/expectations.ts';

/** The contents of every stored file (the incoming directory excluded), sorted. */
async function storedContents(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && !entry.parentPath.includes('.incoming')) out.push(await readFile(path.join(entry.parentPath, entry.name), 'utf8'));
  }
  return out.sort();
}

describe('unit of work: a refused write runs no after-commit hook', function () {
  this.timeout(60_000);
  let server: TestServer;
  let filesDir: string;
  let type: ItemTypeBody;
  let user: TestUser;

  const upload = async (name: string, content: string): Promise<string> => {
    const form = new FormData();
    form.append('file', new Blob([content], { type: 'text/plain' }), name);
    const res = await server.request('POST', `/api/v1/upload/${type.systemName}/docs`, { key: user.key, multipart: form });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return (res.body as string[])[0];
  };
  const put = (id: number, body: Record<string, unknown>) => server.request('PUT', `/api/v1/collection/${type.systemName}/${id}`, { key: user.key, body });

  before(async () => {
    filesDir = await mkdtemp(path.join(os.tmpdir(), 'jt-uow-test-'));
    server = await startTestServer({ ...RELAXED_AUTH_LIMITS, FILES_DIR: filesDir });
    const name = `uow_${Date.now().toString(36)}`;
    type = await aType(server, [
      { systemName: 'title', kind: 'string', required: true },
      { systemName: 'docs', kind: 'file', multiple: true, required: true },
      { systemName: 'ref', kind: 'reference', referenceType: name },
    ], { systemName: name });
    user = await aUserWithGrants(server, allGrants(type.id));
  });

  after(async () => {
    await server?.stop();
    await rm(filesDir, { recursive: true, force: true });
  });

  it('a PUT refused after binding (a required file value left empty: 400 VALIDATION_FAILED) keeps the old bytes, and the bytes go once a PUT commits', async () => {
    const item = await anItem(server, type.systemName, { title: 'one', docs: [await upload('old.txt', 'old one')] }, { key: user.key });
    const fresh = await upload('new.txt', 'new one');
    expect(await storedContents(filesDir)).to.include.members(['old one', 'new one']);

    // `docs: []` passes the contract; the item is found incomplete only once its files are bound.
    const refused = await put(item.id, { title: 'two', docs: [] });
    expectError(refused, 400, 'VALIDATION_FAILED');
    expect(refused.body.details).to.deep.include({ path: 'body.docs', message: 'is required' });
    expect(await storedContents(filesDir)).to.include.members(['old one', 'new one']);
    const unchanged = await server.request('GET', `/api/v1/collection/${type.systemName}/${item.id}`, { key: user.key });
    expect(unchanged.body.title).to.equal('one');
    expect((await server.request('GET', unchanged.body.docs[0].url, { key: user.key })).text).to.equal('old one');

    // The same PUT with the promise commits: then, and only then, the old bytes leave the disk.
    const replaced = await put(item.id, { title: 'two', docs: [fresh] });
    expect(replaced.status, JSON.stringify(replaced.body)).to.equal(200);
    expect(replaced.body.docs.map((d: { name: string }) => d.name)).to.deep.equal(['new.txt']);
    const stored = await storedContents(filesDir);
    expect(stored).to.include('new one');
    expect(stored).to.not.include('old one');
  });

  it('a PUT refused by a check inside its transaction (400 REFERENCE_NOT_FOUND) keeps the old bytes and leaves the new promise usable', async () => {
    const item = await anItem(server, type.systemName, { title: 'three', docs: [await upload('kept.txt', 'kept three')] }, { key: user.key });
    const fresh = await upload('later.txt', 'later three');

    // The promise is bound and the old file dropped from the row set before the reference is checked.
    const refused = await put(item.id, { title: 'four', docs: [fresh], ref: 2_000_000_000 });
    expectError(refused, 400, 'REFERENCE_NOT_FOUND');
    expect(await storedContents(filesDir)).to.include.members(['kept three', 'later three']);
    const unchanged = await server.request('GET', `/api/v1/collection/${type.systemName}/${item.id}`, { key: user.key });
    expect(unchanged.body.docs.map((d: { name: string }) => d.name)).to.deep.equal(['kept.txt']);
    expect((await server.request('GET', unchanged.body.docs[0].url, { key: user.key })).text).to.equal('kept three');

    // The promise was not used up by the refused write.
    const used = await anItem(server, type.systemName, { title: 'five', docs: [fresh] }, { key: user.key });
    expect((await server.request('GET', used.docs[0].url, { key: user.key })).text).to.equal('later three');
  });
});
