import { expect } from 'chai';
import { assertMatchesContract, ContractViolation } from '../../helpers/contract.ts';

const ok = { method: 'GET', path: '/api/v1/auth', headers: {} };

async function violation(response: Parameters<typeof assertMatchesContract>[0]): Promise<string> {
  try {
    await assertMatchesContract(response);
  } catch (error) {
    expect(error).to.be.instanceOf(ContractViolation);
    return (error as Error).message;
  }
  throw new Error('expected a contract violation');
}

describe('test helper: contract check of every response', () => {
  it('accepts a documented status with a valid body', async () => {
    await assertMatchesContract({ ...ok, status: 200, body: { status: 'valid', validTo: '9999-12-31 00:00:00' } });
  });

  it('rejects a status the operation does not document', async () => {
    expect(await violation({ ...ok, status: 409, body: { message: 'x', code: 'CONFLICT' } })).to.include('status not documented');
  });

  it('rejects a body that breaks the response schema', async () => {
    expect(await violation({ ...ok, status: 200, body: { status: 'maybe' } })).to.include('body violates getApiKeyStatus');
  });

  it('rejects an unrouted response without the Error shape', async () => {
    expect(await violation({ method: 'GET', path: '/api/v1/nope', headers: {}, status: 404, body: { error: 'x' } })).to.include('not an Error body');
  });

  it('rejects an error body without a code on a routed operation', async () => {
    expect(await violation({ method: 'POST', path: '/api/v1/auth', headers: {}, status: 401, body: { message: 'no' } })).to.include('body violates createApiKey');
  });
});
