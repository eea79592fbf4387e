// Assertions most API tests share: a refusal's status and code, and polling for what happens
// after the response (after-commit work, the delivery worker).
import { expect } from 'chai';
import type { ApiResponse } from './server.ts';

/** The response is the error `code` with `status`, and carries a message (the body is shown on failure). */
export function expectError(res: Pick<ApiResponse, 'status' | 'body'>, status: number, code: string): void {
  const shown = JSON.stringify(res.body).slice(0, 500);
  expect(res.status, shown).to.equal(status);
  expect(res.body.code, shown).to.equal(code);
  expect(res.body.message, shown).to.be.a('string').and.not.equal('');
}

/** Reads until `done` holds or `timeoutMs` passes; returns the last value read either way (the caller asserts on it). */
export async function waitUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > end) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
