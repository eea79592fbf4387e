// Account-verification challenges: issue (at registration), answer (user.challenge and the link
// page) and retry with rotation. Counters live in the database and change only through
// conditional updates, so limits hold across processes; secrets exist only as keyed hashes.
import type { Db, Tx } from '../../store/database.ts';
import type { UnitOfWork, Work } from '../../store/unit-of-work.ts';
import { Errors } from '../../errors/registry.ts';
import { randomToken } from '../../lib/crypto.ts';
import {
  challengeByPublicId, doneMethods, liveSecrets, openChallengeOfUser, refundAttempt, reserveAttempt, type ChallengeRow,
} from '../../store/accounts/challenge-store.ts';
import type { IdentityResolver } from '../identity/identity-resolver.ts';
import type { TenantContext, VerificationSettings } from '../identity/tenant.ts';
import type { AccountAuditLog, MessageOutbox } from './delivery-ports.ts';
import { verificationLink, verificationMail, verificationSms, type SentSecrets } from './messages.ts';
import { drawCode, drawLinkSecret, keyedHash, sameHash, VERIFICATION_METHODS, type VerificationMethod } from './secrets.ts';

/** Wrong secrets a challenge takes over its lifetime, across its methods; the last one locks it. */
export const MAX_WRONG_SECRETS = 5;

/** What a registration asks for (verify_account). */
export interface ChallengeSpec {
  methods: VerificationMethod[];
  phone?: string;
  redirectUrl?: string;
}

export interface ChallengeAnswerInput {
  userId: number;
  challengeId: string;
  method: VerificationMethod;
  secret: string;
}

export interface AnswerResult {
  methodDone: boolean;
  challengeCompleted: boolean;
  /** The registration's redirect URL, once the challenge is completed (the link page forwards). */
  redirectUrl: string | null;
}

export interface RetryInput {
  challengeId?: string;
  userId?: number;
  login?: string;
  method?: VerificationMethod;
}

const NOT_DONE: AnswerResult = { methodDone: false, challengeCompleted: false, redirectUrl: null };

/** Retry-After of a spent retry cap: nothing changes by waiting, so a day (a sensible backoff). */
const RETRY_LIMIT_RETRY_AFTER = 86_400;

export function ttlSeconds(settings: VerificationSettings, method: VerificationMethod): number {
  return method === 'sms_code' ? settings.smsCodeTtlSeconds : method === 'mail_code' ? settings.mailCodeTtlSeconds : settings.mailLinkTtlSeconds;
}

/** The wait after the n-th send (1-based); the schedule's last value repeats. */
export function cooldownAfterSend(settings: VerificationSettings, sends: number): number {
  const schedule = settings.retryCooldownSeconds;
  return schedule[Math.min(sends, schedule.length) - 1];
}

export class Challenges {
  constructor(
    private readonly db: Db,
    private readonly unitOfWork: UnitOfWork,
    private readonly identity: IdentityResolver,
    private readonly outbox: MessageOutbox,
    private readonly audit: AccountAuditLog,
    private readonly publicBaseUrl: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Creates the challenge and queues its messages inside the registration's write. Returns its public id. */
  async issue(work: Work, tenant: TenantContext, user: { id: number; login: string; name: string }, spec: ChallengeSpec, ip: string): Promise<string> {
    const now = this.now();
    const settings = tenant.settings.verification;
    const created = await work.tx.verificationChallenge.create({
      data: {
        publicId: randomToken(16),
        tenantId: tenant.id,
        userId: user.id,
        email: user.login,
        phone: spec.phone ?? null,
        methods: JSON.stringify(VERIFICATION_METHODS.filter((m) => spec.methods.includes(m))),
        redirectUrl: spec.redirectUrl ?? null,
        lastSentAt: now,
        nextSendAt: new Date(now.getTime() + cooldownAfterSend(settings, 1) * 1000),
      },
    });
    const challenge: ChallengeRow = {
      ...created, methods: JSON.parse(created.methods), state: 'open', userLogin: user.login,
    };
    await this.send(work, tenant, challenge, user.name, challenge.methods, now, ip);
    return created.publicId;
  }

  /** user.challenge: the three documented results, or METHOD_ALREADY_DONE; nothing tells whether the user exists. */
  async answer(tenant: TenantContext, input: ChallengeAnswerInput, ip: string): Promise<AnswerResult> {
    const challenge = await challengeByPublicId(this.db, tenant.id, input.challengeId);
    const audit = (tx: Tx, event: string, detail: Record<string, unknown>) =>
      this.audit.record(tx, { tenantId: tenant.id, userId: challenge && challenge.userId === input.userId ? challenge.userId : null, event, method: input.method, ip, detail });
    const refuse = async (reason: string) => {
      await this.unitOfWork.write((tx) => audit(tx, 'check_failed', { reason }));
      return NOT_DONE;
    };
    if (!challenge || challenge.userId !== input.userId) return refuse('unknown');
    if (challenge.userLogin !== challenge.email) return refuse('address_changed');
    if (challenge.state === 'completed') return this.answerCompleted(tenant, challenge, input, refuse);
    if (challenge.state !== 'open') return refuse(challenge.state);
    if (!challenge.methods.includes(input.method)) return refuse('method_not_asked');

    // Counted before comparing: a guess that finds no attempt left is never compared at all.
    const failures = await this.unitOfWork.write((tx) => reserveAttempt(tx, challenge.id, MAX_WRONG_SECRETS));
    if (failures === null) {
      // No attempt left, or the challenge left "open" since it was read: a racing correct answer
      // completed it, and this one is then the right secret of a done method (409) or a wrong one.
      const current = await challengeByPublicId(this.db, tenant.id, input.challengeId);
      if (current?.state === 'completed') return this.answerCompleted(tenant, current, input, refuse);
      return refuse('locked');
    }

    const computed = keyedHash(tenant.securityKey, challenge.id, input.method, input.secret);
    const secrets = (await liveSecrets(this.db, challenge.id)).filter((s) => s.method === input.method);
    const match = secrets.find((s) => sameHash(s.secretHash, computed));
    const now = this.now();
    if (!match || match.expiresAt <= now) {
      return this.unitOfWork.write(async (tx) => {
        await audit(tx, 'check_failed', { reason: match ? 'expired' : 'wrong_secret', failures });
        if (failures >= MAX_WRONG_SECRETS) {
          const { count } = await tx.verificationChallenge.updateMany({ where: { id: challenge.id, state: 'open' }, data: { state: 'locked' } });
          if (count) await audit(tx, 'lock', { failures });
        }
        return NOT_DONE;
      });
    }

    const outcome = await this.unitOfWork.write(async (tx, work) => {
      await refundAttempt(tx, challenge.id);
      // The consumption itself: of two correct answers racing, one UPDATE finds doneAt still null.
      const { count } = await tx.verificationSecret.updateMany({ where: { id: match.id, doneAt: null, revokedAt: null }, data: { doneAt: now } });
      if (count === 0) {
        await audit(tx, 'check_repeated', {});
        return 'already' as const;
      }
      const done = await doneMethods(tx, challenge.id);
      const completed = challenge.methods.every((m) => done.has(m));
      await audit(tx, 'check_ok', { completed });
      if (completed) {
        await tx.verificationChallenge.updateMany({ where: { id: challenge.id, state: 'open' }, data: { state: 'completed', completedAt: now } });
        await tx.user.updateMany({ where: { id: challenge.userId, tenantId: tenant.id, login: challenge.email }, data: { verified: true } });
        // Verified changes who may act: every process drops its memo of the user's principals.
        work.afterCommit(() => this.identity.changed(tenant.id));
      }
      return completed ? ('completed' as const) : ('done' as const);
    });
    if (outcome === 'already') throw Errors.methodAlreadyDone();
    return { methodDone: true, challengeCompleted: outcome === 'completed', redirectUrl: outcome === 'completed' ? challenge.redirectUrl : null };
  }

  /** A completed challenge: the right secret of a done method is "Method already done."; anything else is wrong. */
  private async answerCompleted(tenant: TenantContext, challenge: ChallengeRow, input: ChallengeAnswerInput, refuse: (reason: string) => Promise<AnswerResult>) {
    const computed = keyedHash(tenant.securityKey, challenge.id, input.method, input.secret);
    const secrets = (await liveSecrets(this.db, challenge.id)).filter((s) => s.method === input.method && s.doneAt);
    if (secrets.some((s) => sameHash(s.secretHash, computed))) throw Errors.methodAlreadyDone();
    return refuse('completed');
  }

  /** user.challengeRetry: fresh secrets for one or every outstanding method; every earlier secret revoked first. */
  async retry(tenant: TenantContext, input: RetryInput, ip: string): Promise<{ challengeId: string; methods: VerificationMethod[] }> {
    const challenge = input.challengeId !== undefined
      ? await challengeByPublicId(this.db, tenant.id, input.challengeId)
      : await openChallengeOfUser(this.db, tenant.id, input.userId !== undefined ? { userId: input.userId } : { login: input.login?.trim().toLowerCase() });
    const names = (c: ChallengeRow) =>
      (input.userId === undefined || c.userId === input.userId) && (input.login === undefined || c.userLogin === input.login.trim().toLowerCase());
    if (!challenge || challenge.state !== 'open' || challenge.userLogin !== challenge.email || !names(challenge)) throw Errors.challengeNotFound();

    const done = await doneMethods(this.db, challenge.id);
    const outstanding = challenge.methods.filter((m) => !done.has(m));
    if (input.method !== undefined && !outstanding.includes(input.method)) {
      throw Errors.validationFailed(undefined, { details: [{ path: 'body.method', message: `is not an outstanding method of the challenge (outstanding: ${outstanding.join(', ') || 'none'})` }] });
    }
    const methods = input.method ? [input.method] : outstanding;
    const settings = tenant.settings.verification;
    const now = this.now();
    const throttle = async (code: string, retryAfter: number) => {
      await this.unitOfWork.write((tx) => this.audit.record(tx, { tenantId: tenant.id, userId: challenge.userId, event: 'throttle', method: input.method ?? null, ip, detail: { reason: code, retryAfter } }));
      const headers = { headers: { 'Retry-After': String(retryAfter) } };
      throw code === 'limit'
        ? Errors.challengeRetryLimit({ limit: settings.retryLimit, retryAfter }, headers)
        : Errors.challengeRetryCooldown({ retryAfter }, headers);
    };
    if (challenge.retries >= settings.retryLimit) return throttle('limit', RETRY_LIMIT_RETRY_AFTER);
    if (challenge.nextSendAt > now) return throttle('cooldown', Math.max(1, Math.ceil((challenge.nextSendAt.getTime() - now.getTime()) / 1000)));

    const user = await this.db.user.findFirst({ where: { id: challenge.userId, tenantId: tenant.id }, select: { name: true } });
    const sent = await this.unitOfWork.write(async (tx, work) => {
      // The claim: only the process whose WHERE still sees the count and cooldown it read sends.
      const sends = challenge.retries + 2;
      const { count } = await tx.verificationChallenge.updateMany({
        where: { id: challenge.id, state: 'open', retries: challenge.retries, nextSendAt: { lte: now } },
        data: { retries: { increment: 1 }, lastSentAt: now, nextSendAt: new Date(now.getTime() + cooldownAfterSend(settings, sends) * 1000) },
      });
      if (count === 0) return false;
      // Every earlier link and code of the challenge dies here, also those of methods not re-sent
      // now: a retry is the answer to "my messages may have leaked or gone stale".
      await tx.verificationSecret.updateMany({ where: { challengeId: challenge.id, doneAt: null, revokedAt: null }, data: { revokedAt: now } });
      await this.audit.record(tx, { tenantId: tenant.id, userId: challenge.userId, event: 'retry', method: input.method ?? null, ip, detail: { methods, retry: challenge.retries + 1 } });
      await this.send(work, tenant, challenge, user?.name ?? '', methods, now, ip);
      return true;
    });
    if (!sent) {
      // Another request claimed this send meanwhile: answer as it would now be answered.
      const current = await challengeByPublicId(this.db, tenant.id, challenge.publicId);
      const retryAfter = current ? Math.max(1, Math.ceil((current.nextSendAt.getTime() - now.getTime()) / 1000)) : RETRY_LIMIT_RETRY_AFTER;
      return throttle(current && current.retries >= settings.retryLimit ? 'limit' : 'cooldown', retryAfter);
    }
    return { challengeId: challenge.publicId, methods };
  }

  /** Draws a secret per method, stores its keyed hash, and queues one mail and/or one SMS. */
  private async send(work: Work, tenant: TenantContext, challenge: ChallengeRow, userName: string, methods: VerificationMethod[], now: Date, ip: string) {
    const settings = tenant.settings.verification;
    const secrets: SentSecrets = {};
    const minutes: Partial<Record<VerificationMethod, number>> = {};
    for (const method of methods) {
      const secret = method === 'mail_link' ? drawLinkSecret() : drawCode(settings.codeLength);
      secrets[method] = secret;
      minutes[method] = Math.round(ttlSeconds(settings, method) / 60);
      await work.tx.verificationSecret.create({
        data: {
          challengeId: challenge.id,
          method,
          secretHash: keyedHash(tenant.securityKey, challenge.id, method, secret),
          expiresAt: new Date(now.getTime() + ttlSeconds(settings, method) * 1000),
        },
      });
    }
    const reference = challenge.publicId;
    if (secrets.mail_link || secrets.mail_code) {
      const link = secrets.mail_link ? verificationLink(this.publicBaseUrl, challenge.userId, challenge.publicId, secrets.mail_link) : undefined;
      const mail = verificationMail({ tenantName: tenant.name, userName, link, code: secrets.mail_code, minutes });
      await this.outbox.enqueueMail(work, { tenantId: tenant.id, userId: challenge.userId, to: challenge.email, ...mail, purpose: 'account_verification', reference }, { ip });
    }
    if (secrets.sms_code && challenge.phone) {
      await this.outbox.enqueueSms(work, {
        tenantId: tenant.id, userId: challenge.userId, to: challenge.phone, text: verificationSms(tenant.name, secrets.sms_code, minutes.sms_code!), purpose: 'account_verification', reference,
      }, { ip });
    }
  }
}
