// Who sees which tag (F6.1): public tags to everyone with the API, a private tag to its owner,
// and every tag to holders of manageTags. The one place that rule is written.
import { Prisma } from '../../../generated/prisma-sqlite/client.ts';
import type { Principal } from '../identity/principal.ts';

export interface TagVisibilityRow {
  private: boolean;
  ownerId: number | null;
}

export function managesTags(principal: Principal): boolean {
  return principal.permissions.has('manageTags');
}

export function canSeeTag(principal: Principal, tag: TagVisibilityRow): boolean {
  return !tag.private || managesTags(principal) || tag.ownerId === principal.userId;
}

/** The Prisma `where` of the tags `principal` sees in its tenant. */
export function visibleTagsWhere(principal: Principal) {
  if (managesTags(principal)) return { tenantId: principal.tenantId };
  return { tenantId: principal.tenantId, OR: [{ private: false }, { ownerId: principal.userId }] };
}

/** The same rule as SQL on the alias `alias` of "Tag". */
export function visibleTagsSql(principal: Principal, alias: string): Prisma.Sql {
  const t = Prisma.raw(`${alias}.`);
  if (managesTags(principal)) return Prisma.sql`${t}"tenantId" = ${principal.tenantId}`;
  return Prisma.sql`${t}"tenantId" = ${principal.tenantId} AND (${t}"private" = false OR ${t}"ownerId" = ${principal.userId})`;
}
