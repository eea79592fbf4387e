// The account audit: one row per send, failure, delivery, check, lock, throttle and reset, with
// tenant, user, method (channel) and IP. Callers pass no secret; detail is also scrubbed of keys
// that name one, so a careless caller cannot store a code, link, token or password here.
import type { Db, Tx } from '../../store/database.ts';

export type AccountAuditEvent =
  | 'send'
  | 'send_failed'
  | 'delivered'
  | 'check_ok'
  | 'check_failed'
  | 'lock'
  | 'throttle'
  | 'reset_requested'
  | 'reset_done'
  | 'reset_failed'
  | (string & {});

export interface AccountAuditInput {
  tenantId: number;
  userId?: number | null;
  event: AccountAuditEvent;
  method?: string | null;
  ip?: string | null;
  detail?: Record<string, unknown>;
}

export interface AccountAuditRecord {
  id: number;
  tenantId: number;
  userId: number | null;
  event: string;
  method: string | null;
  ip: string | null;
  detail: Record<string, unknown>;
  at: Date;
}

export interface AuditQuery {
  userId?: number;
  event?: string;
  limit: number;
  offset: number;
}

/** Words that, in a detail key (camelCase or snake_case), keep its value out whatever a caller passes. */
const SECRET_WORDS = new Set(['secret', 'secrets', 'code', 'codes', 'token', 'tokens', 'password', 'passwd', 'link', 'url', 'body', 'text', 'html', 'key', 'hash']);
const isSecretKey = (key: string) =>
  key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[\s_\-.]+/)
    .some((word) => SECRET_WORDS.has(word));
/** A detail value longer than this is cut (detail is for ids, counts and reasons). */
const MAX_VALUE_CHARS = 200;

/** detail without secret-named keys; nested objects are dropped, long strings cut. */
export function scrubDetail(detail: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(detail ?? {})) {
    if (isSecretKey(key)) continue;
    if (typeof value === 'string') out[key] = value.length > MAX_VALUE_CHARS ? `${value.slice(0, MAX_VALUE_CHARS)}…` : value;
    else if (typeof value === 'number' || typeof value === 'boolean' || value === null) out[key] = value;
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) out[key] = value.slice(0, 20);
  }
  return out;
}

export class AccountAudit {
  private readonly detached = new Set<Promise<void>>();

  constructor(private readonly db: Db) {}

  /** Records in the caller's transaction: the entry commits or rolls back with the write. */
  async record(tx: Tx, entry: AccountAuditInput): Promise<void> {
    await tx.accountAuditEntry.create({ data: this.row(entry) });
  }

  /**
   * Records outside any transaction, for an event whose write is being rolled back (a refused
   * send is a throttle worth keeping). Not awaited by the refusing write: on SQLite the one
   * connection is busy with that transaction until it ends, so this runs right after. (It is a
   * transaction of its own because the SQLite adapter orders only transactions: a bare query
   * would run inside the refusing one and be rolled back with it.)
   */
  recordDetached(entry: AccountAuditInput, onError: (error: unknown) => void): void {
    const data = this.row(entry);
    const write = this.db.$transaction((tx) => tx.accountAuditEntry.create({ data }), { maxWait: 30_000 }).then(
      () => undefined,
      (error: unknown) => onError(error),
    );
    this.detached.add(write);
    void write.finally(() => this.detached.delete(write));
  }

  /** Resolves once the detached entries in flight are written: before the database closes
   *  (disconnecting under a transaction that is just starting can hang the client). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.detached]);
  }

  async readPage(tenantId: number, query: AuditQuery): Promise<{ total: number; entries: AccountAuditRecord[] }> {
    const where = {
      tenantId,
      ...(query.userId !== undefined ? { userId: query.userId } : {}),
      ...(query.event !== undefined ? { event: query.event } : {}),
    };
    const [total, rows] = await Promise.all([
      this.db.accountAuditEntry.count({ where }),
      this.db.accountAuditEntry.findMany({ where, orderBy: [{ at: 'desc' }, { id: 'desc' }], take: query.limit, skip: query.offset }),
    ]);
    return { total, entries: rows.map((row) => ({ ...row, detail: parseDetail(row.detail) })) };
  }

  private row(entry: AccountAuditInput) {
    return {
      tenantId: entry.tenantId,
      userId: entry.userId ?? null,
      event: entry.event,
      method: entry.method ?? null,
      ip: entry.ip ?? null,
      detail: JSON.stringify(scrubDetail(entry.detail)),
    };
  }
}

function parseDetail(stored: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(stored);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
