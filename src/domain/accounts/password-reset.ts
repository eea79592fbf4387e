// Password reset (F5.4): a request is answered at once and carried out afterwards (lookup, token,
// outbox row in one transaction), so its answer and timing say nothing about the e-mail; the
// reset page reads a token without changing anything and completes it once, atomically.
import { AppError } from '../../errors/define-error.ts';
import { hashPassword } from '../../lib/crypto.ts';
import type { Db, Tx } from '../../store/database.ts';
import type { UnitOfWork, Work } from '../../store/unit-of-work.ts';
import { consumeToken, countWrongSecret, createToken, findToken, revokeOtherTokens, type ResetTokenRow } from '../../store/accounts/reset-tokens.ts';
import type { IdentityResolver } from '../identity/identity-resolver.ts';
import { identityWrite } from '../identity/identity-write.ts';
import type { TenantContext } from '../identity/tenant.ts';
import {
  MAX_WRONG_SECRETS, newToken, openRedirect, parseToken, resetLink, sealRedirect, secretMatches, type ResetFailure,
} from './password-reset-links.ts';
import { resetMail } from './password-reset-mail.ts';
import type { AccountAuditLog, MessageOutbox } from './delivery-ports.ts';

/** The outbox and the account audit as this module uses them (entries never hold a secret). */
export type ResetOutbox = Pick<MessageOutbox, 'enqueueMail'>;

/** The notifications as this module uses them (services.notificationSender). */
export interface ResetNotices {
  notifyUser(work: Work, tenant: TenantContext, userId: number, notice: { type: string; title: string; body: string }): Promise<number>;
}

export interface ResetLog {
  warn(details: Record<string, unknown>, message: string): void;
  error(details: Record<string, unknown>, message: string): void;
}

export interface PasswordResetOptions {
  db: Db;
  unitOfWork: UnitOfWork;
  identity: IdentityResolver;
  outbox: ResetOutbox;
  audit: AccountAuditLog;
  /** Tells the user in their notification feed that the password was changed. */
  notices: ResetNotices;
  /** PUBLIC_BASE_URL: links are built from it (or the tenant's linkBaseUrl), never from a request's Host. */
  publicBaseUrl: string;
  log: ResetLog;
  now?: () => Date;
}

export interface ResetRequest {
  tenant: TenantContext;
  email: string;
  /** Already checked (checkRedirectUrl). */
  redirectUrl: string | null;
  ip: string;
  requestId: string;
}

/** What the page learns from a token: whether it may be used, and where the browser goes afterwards. */
export interface TokenView {
  state: 'usable' | ResetFailure;
  /** The authenticated redirect URL; null without one, or when it could not be authenticated. */
  redirectUrl: string | null;
}

export type CompleteOutcome = { outcome: 'success' | ResetFailure; redirectUrl: string | null };

const AUDIT_METHOD = 'mail_link';
/** Requests answered and not yet carried out, per process; beyond, new ones are dropped (logged). */
export const MAX_PENDING_REQUESTS = 1000;
const PURPOSE = 'password_reset';
const PASSWORD_CHANGED_NOTICE = {
  type: 'account.password_changed',
  title: 'Your password was changed',
  body: 'The password of your account was changed through a password-reset link. If this was not you, ask an operator to lock the account.',
};

export class PasswordReset {
  private readonly pending = new Set<Promise<void>>();
  private readonly now: () => Date;

  constructor(private readonly options: PasswordResetOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Schedules the request and returns at once: the caller answers before any lookup. Known and
   * unknown e-mails do the same work up to here (none), so status, body and timing match.
   */
  request(request: ResetRequest): void {
    if (this.pending.size >= MAX_PENDING_REQUESTS) {
      // A flood (the key rate limit allows 100 a second) must not grow memory without bound;
      // the answer stays the same, so a dropped request tells its sender nothing either.
      this.options.log.warn({ tenant: request.tenant.id, requestId: request.requestId, pending: this.pending.size }, 'password reset request dropped: too many waiting');
      return;
    }
    const job = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.carryOut(request))
      .catch((error: unknown) => this.options.log.error({ err: error, requestId: request.requestId, tenant: request.tenant.id }, 'password reset request failed after its answer'))
      .finally(() => this.pending.delete(job));
    this.pending.add(job);
  }

  /** Resolves when every scheduled request has been carried out (tests, shutdown). */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private async carryOut({ tenant, email, redirectUrl, ip, requestId }: ResetRequest): Promise<void> {
    const { db, unitOfWork, outbox, audit, log } = this.options;
    const user = await db.user.findFirst({ where: { tenantId: tenant.id, login: email.toLowerCase() }, select: { id: true, login: true, name: true, active: true } });
    if (!user || !user.active) {
      // Nothing is sent; the operator can still see that it was asked for.
      await unitOfWork.write((tx) =>
        audit.record(tx, { tenantId: tenant.id, userId: user?.id ?? null, event: 'reset_requested', method: AUDIT_METHOD, ip, detail: { outcome: user ? 'user_inactive' : 'no_such_user', requestId } }),
      );
      return;
    }
    const now = this.now();
    const token = newToken(tenant.securityKey);
    const ttl = tenant.settings.passwordReset.tokenTtlSeconds;
    const sealed = redirectUrl ? sealRedirect(tenant, user.id, token.publicId, redirectUrl) : null;
    const link = resetLink(tenant.settings.passwordReset.linkBaseUrl ?? this.options.publicBaseUrl, token.text, sealed);
    const mail = resetMail({ tenantName: tenant.name, login: user.login, name: user.name, link, ttlSeconds: ttl });
    try {
      // One unit of work: the token exists exactly when its mail is in the outbox.
      await unitOfWork.write(async (tx, work) => {
        await createToken(tx, { tenantId: tenant.id, userId: user.id, publicId: token.publicId, secretHash: token.secretHash, expiresAt: new Date(now.getTime() + ttl * 1000) }, now);
        await outbox.enqueueMail(work, { tenantId: tenant.id, userId: user.id, to: user.login, ...mail, purpose: PURPOSE, reference: token.publicId }, { ip });
        await audit.record(tx, { tenantId: tenant.id, userId: user.id, event: 'reset_requested', method: AUDIT_METHOD, ip, detail: { outcome: 'queued', resetId: token.publicId, requestId } });
      });
    } catch (error) {
      // A quota refusal (or a fault): nothing was written. The caller had its answer already, and
      // must not learn of it (it would tell a known address from an unknown one).
      const code = error instanceof AppError ? error.code : 'INTERNAL';
      await unitOfWork.write((tx) =>
        audit.record(tx, { tenantId: tenant.id, userId: user.id, event: 'reset_failed', method: AUDIT_METHOD, ip, detail: { stage: 'request', reason: code, requestId } }),
      );
      if (error instanceof AppError) log.warn({ code, tenant: tenant.id, user: user.id, requestId }, 'password reset mail refused');
      else throw error;
    }
  }

  /** The token's state for the page's GET: reads only (a mail scanner opening the link changes nothing). */
  async inspect(tenant: TenantContext, tokenText: string | undefined, sealedRedirect: string | undefined): Promise<TokenView> {
    const found = await this.lookup(tenant, tokenText);
    if (!found) return { state: 'invalid', redirectUrl: null };
    const redirectUrl = this.redirectOf(tenant, found.row, sealedRedirect);
    if (redirectUrl === false) return { state: 'invalid', redirectUrl: null };
    return { state: this.stateOf(tenant, found.row, found.secret), redirectUrl };
  }

  /**
   * Sets the password if the token may be used: marks it used, revokes the user's other reset
   * tokens and bumps the tenant's identity generation, in one transaction. A wrong secret is
   * counted (the fifth locks the token). `password` has been checked by the caller; null when
   * the caller saw the token unusable (then nothing is set, whatever happened meanwhile).
   */
  async complete(tenant: TenantContext, tokenText: string | undefined, sealedRedirect: string | undefined, password: string | null, ip: string): Promise<CompleteOutcome> {
    const { db, unitOfWork, identity, audit } = this.options;
    const found = await this.lookup(tenant, tokenText);
    if (!found) {
      await this.auditFailure(tenant, null, ip, 'invalid', { known: false });
      return { outcome: 'invalid', redirectUrl: null };
    }
    const { row, secret } = found;
    const redirectUrl = this.redirectOf(tenant, row, sealedRedirect);
    if (redirectUrl === false) {
      await this.auditFailure(tenant, row, ip, 'invalid', { redirectTampered: true });
      return { outcome: 'invalid', redirectUrl: null };
    }
    let state = this.stateOf(tenant, row, secret);
    // Only a wrong secret is a guess worth counting (not a tenant that turned resets off).
    if (state === 'invalid' && !secretMatches(tenant.securityKey, secret, row.secretHash)) {
      const count = await countWrongSecret(db, row.id, MAX_WRONG_SECRETS);
      if (count >= MAX_WRONG_SECRETS) state = 'too_many_attempts';
      await this.auditFailure(tenant, row, ip, state, { wrongGuesses: count });
      return { outcome: state, redirectUrl };
    }
    if (state !== 'usable' || password === null) {
      const reason = state === 'usable' ? 'invalid' : state;
      await this.auditFailure(tenant, row, ip, reason, {});
      return { outcome: reason, redirectUrl };
    }
    // Hashed before the transaction: scrypt takes tens of milliseconds and needs no lock.
    const passwordHash = await hashPassword(password);
    const now = this.now();
    const done = await identityWrite(unitOfWork, identity, { tenantId: tenant.id }, 'Password reset token', async (tx, work) => {
      if (!(await consumeToken(tx, row.id, now, MAX_WRONG_SECRETS))) return null;
      await tx.user.updateMany({ where: { tenantId: tenant.id, id: row.userId }, data: { passwordHash } });
      const revoked = await revokeOtherTokens(tx, tenant.id, row.userId, row.id, now);
      await this.options.notices.notifyUser(work, tenant, row.userId, PASSWORD_CHANGED_NOTICE);
      await audit.record(tx, { tenantId: tenant.id, userId: row.userId, event: 'reset_done', method: AUDIT_METHOD, ip, detail: { resetId: row.publicId, revokedOthers: revoked } });
      return revoked;
    });
    if (done === null) {
      // Another request used (or a reset revoked) this token between our read and our write.
      await this.auditFailure(tenant, row, ip, 'used', { raced: true });
      return { outcome: 'used', redirectUrl };
    }
    return { outcome: 'success', redirectUrl };
  }

  private async lookup(tenant: TenantContext, tokenText: string | undefined): Promise<{ row: ResetTokenRow; secret: string } | null> {
    const parsed = parseToken(tokenText);
    if (!parsed) return null;
    const row = await findToken(this.options.db, tenant.id, parsed.publicId);
    return row ? { row, secret: parsed.secret } : null;
  }

  /** null: no redirect was sent; false: one was sent and did not authenticate (never follow it). */
  private redirectOf(tenant: TenantContext, row: ResetTokenRow, sealed: string | undefined): string | null | false {
    if (sealed === undefined || sealed === '') return null;
    return openRedirect(tenant, row.userId, row.publicId, sealed) ?? false;
  }

  /**
   * Locked first (a right secret does not unlock), then the secret, then used, then expiry. A
   * tenant that turns allowApiPasswordReset off stops its outstanding links too (an operator
   * reacting to abuse expects that).
   */
  private stateOf(tenant: TenantContext, row: ResetTokenRow, secret: string): TokenView['state'] {
    if (row.failedAttempts >= MAX_WRONG_SECRETS) return 'too_many_attempts';
    if (!tenant.settings.allowApiPasswordReset) return 'invalid';
    if (!secretMatches(tenant.securityKey, secret, row.secretHash)) return 'invalid';
    if (row.usedAt || row.revokedAt) return 'used';
    if (row.expiresAt.getTime() <= this.now().getTime()) return 'expired';
    return 'usable';
  }

  private async auditFailure(tenant: TenantContext, row: ResetTokenRow | null, ip: string, reason: ResetFailure, detail: Record<string, unknown>): Promise<void> {
    await this.options.unitOfWork.write((tx) =>
      this.options.audit.record(tx, {
        tenantId: tenant.id, userId: row?.userId ?? null, event: 'reset_failed', method: AUDIT_METHOD, ip,
        detail: { stage: 'page', reason, ...(row ? { resetId: row.publicId } : {}), ...detail },
      }),
    );
  }
}
