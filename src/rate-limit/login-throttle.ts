// Attempts on one login (POST /auth), counted so that nobody can lock another out:
//  - per login and client address: AUTH_RATE_LIMIT_PER_LOGIN attempts per window, then 429.
//    Exhausting it stops that address only; the real user elsewhere keeps their own budget.
//  - per login, from all addresses: past AUTH_RATE_LIMIT_PER_LOGIN_GLOBAL attempts per window,
//    every attempt on the login waits AUTH_LOGIN_SLOWDOWN_MS before the password is checked. It
//    slows a guesser spread over many addresses and never refuses the real user.
// (The per-address limit on all of POST /auth, AUTH_RATE_LIMIT_PER_IP, applies before both.)
import { setTimeout as sleep } from 'node:timers/promises';
import type { Limiter } from './limiters.ts';
import { addressKey } from './client-address.ts';

export class LoginThrottle {
  constructor(private readonly options: { perAddress: Limiter; ceiling: Limiter; slowdownMs: number }) {}

  /** Counts one attempt on `login` (already tenant-qualified) from `address`; throws 429 or waits. */
  async admit(login: string, address: string): Promise<void> {
    await this.options.perAddress.consume(`${login}|${addressKey(address)}`);
    if (!(await this.options.ceiling.withinBudget(login))) await sleep(this.options.slowdownMs);
  }
}
