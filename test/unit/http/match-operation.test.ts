// The match stage (src/http/match-operation.ts): what it puts on ctx.state for the stages after
// it (the response cache reads the policy's x-cache class there) and what it refuses.
import { expect } from 'chai';
import type { Context } from 'koa';
import { loadContract, type Contract } from '../../../src/http/contract.ts';
import { matchedOperation, matchOperationStage, type MatchedOperation } from '../../../src/http/match-operation.ts';
import { AppError } from '../../../src/errors/define-error.ts';

/** The fields of a Koa context the stage reads: method, path and the request's headers. */
function contextFor(method: string, path: string, headers: Record<string, string> = {}): Context {
  return { method, path, req: { headers }, state: {} } as unknown as Context;
}

describe('match stage (src/http/match-operation.ts)', () => {
  let contract: Contract;
  before(async () => {
    contract = await loadContract();
  });

  /** Runs the stage; resolves with what it left on ctx.state and whether it went on. */
  async function run(method: string, path: string): Promise<{ matched: MatchedOperation; wentOn: boolean }> {
    const ctx = contextFor(method, path);
    let wentOn = false;
    await matchOperationStage(contract)(ctx, async () => {
      wentOn = true;
    });
    return { matched: matchedOperation(ctx), wentOn };
  }

  async function refusal(method: string, path: string): Promise<{ error: AppError; wentOn: boolean; state: object }> {
    const ctx = contextFor(method, path);
    let wentOn = false;
    try {
      await matchOperationStage(contract)(ctx, async () => {
        wentOn = true;
      });
    } catch (error) {
      expect(error).to.be.instanceOf(AppError);
      return { error: error as AppError, wentOn, state: ctx.state };
    }
    throw new Error(`${method} ${path} was matched`);
  }

  it('matches GET /collection/{collection} to listItems with its useApi permission and the list cache class', async () => {
    const { matched, wentOn } = await run('GET', '/api/v1/collection/project');
    expect(wentOn).to.equal(true);
    expect(matched.operationId).to.equal('listItems');
    expect(matched.operation.operationId).to.equal('listItems');
    expect(matched.params).to.deep.equal({ collection: 'project' });
    expect(matched.policy).to.deep.include({ operationId: 'listItems', access: 'useApi', cache: 'list' });
  });

  it('matches GET …/get-by/{property}/{item} to getItemBy with decoded parameters and the item cache class', async () => {
    const { matched } = await run('GET', '/api/v1/collection/project/get-by/code/A%2FB%20%C3%A9');
    expect(matched.operationId).to.equal('getItemBy');
    expect(matched.params).to.deep.equal({ collection: 'project', property: 'code', item: 'A/B é' });
    expect(matched.policy).to.deep.include({ access: 'useApi', cache: 'item' });
  });

  it('matches GET /collection/{collection}/{item} to getItem (item cache class), HEAD like GET', async () => {
    for (const method of ['GET', 'HEAD']) {
      const { matched } = await run(method, '/api/v1/collection/project/42');
      expect(matched.operationId, method).to.equal('getItem');
      expect(matched.params).to.deep.equal({ collection: 'project', item: '42' });
      expect(matched.policy.cache).to.equal('item');
    }
  });

  it('routes SEARCH and QUERY on /collection/{collection} to its alias searchItems (list cache class)', async () => {
    for (const method of ['SEARCH', 'QUERY']) {
      const { matched } = await run(method, '/api/v1/collection/project');
      expect(matched.operationId, method).to.equal('searchItems');
      expect(matched.params).to.deep.equal({ collection: 'project' });
      expect(matched.policy).to.deep.include({ operationId: 'searchItems', method: 'post', path: '/collection/{collection}/search', access: 'useApi', cache: 'list' });
    }
    // The POST alias is the same operation.
    const { matched } = await run('POST', '/api/v1/collection/project/search');
    expect(matched.operationId).to.equal('searchItems');
    expect(matched.policy.cache).to.equal('list');
  });

  it('gives an operation that is never cached the none class and its own permission', async () => {
    const { matched } = await run('POST', '/api/v1/collection/project');
    expect(matched.operationId).to.equal('createItem');
    expect(matched.policy.cache).to.equal('none');
    const admin = await run('GET', '/api/v1/admin/types');
    expect(admin.matched.policy.access).to.not.equal('public');
  });

  it('refuses an unknown route with 404 ROUTE_NOT_FOUND and puts nothing on ctx.state', async () => {
    for (const path of ['/api/v1/nothing-here', '/elsewhere', '/api/v1/collection/project/1/2/3/4']) {
      const { error, wentOn, state } = await refusal('GET', path);
      expect(error.code, path).to.equal('ROUTE_NOT_FOUND');
      expect(error.status).to.equal(404);
      expect(wentOn).to.equal(false);
      expect(state).to.not.have.property('matched');
    }
  });

  it('refuses a known path with another method (405), a bad escape (400 INVALID_PATH) and SEARCH on an item (400 SEARCH_NOT_ALLOWED)', async () => {
    expect((await refusal('PUT', '/api/v1/auth')).error.code).to.equal('METHOD_NOT_ALLOWED');
    expect((await refusal('GET', '/api/v1/admin/users/%E0%A4%A')).error.code).to.equal('INVALID_PATH');
    expect((await refusal('SEARCH', '/api/v1/collection/project/1')).error.code).to.equal('SEARCH_NOT_ALLOWED');
  });

  it('every operation of openapi.yaml has a typed cache class', () => {
    const classes = new Set([...contract.policies.values()].map((policy) => policy.cache));
    expect([...classes].sort()).to.deep.equal(['item', 'list', 'none']);
    const cached = [...contract.policies.values()].filter((policy) => policy.cache !== 'none').map((p) => p.operationId).sort();
    expect(cached).to.deep.equal(['getItem', 'getItemBy', 'listItems', 'searchItems']);
  });
});
