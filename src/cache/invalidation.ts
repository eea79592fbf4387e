// What a committed write makes unreachable in the response cache, registered by the write
// itself on its unit of work: the generations it changed are collected and bumped in one store
// operation after commit, before the write's answer is sent (read-your-writes on every process).
import type { Work } from '../store/unit-of-work.ts';
import type { ResponseCache } from './response-cache.ts';

export class CacheInvalidation {
  private readonly pending = new WeakMap<Work, Set<string>>();

  constructor(private readonly cache: ResponseCache | null) {}

  /** One item created, changed or deleted: its single fetches (id and UUID) and its type's lists. */
  itemWritten(work: Work, tenantId: number, typeId: number, item: { id: number; uuid: string }): void {
    if (this.cache) this.add(work, this.cache.itemGenerations(tenantId, typeId, item));
  }

  /** Many items of a type at once (cascades, cleared references): everything of that type. */
  typeRewritten(work: Work, tenantId: number, typeId: number): void {
    if (this.cache) this.add(work, this.cache.typeGenerations(tenantId, typeId));
  }

  /** A tag created, moved or deleted: lists filtered by tags. */
  tagsChanged(work: Work, tenantId: number): void {
    if (this.cache) this.add(work, this.cache.tagGenerations(tenantId));
  }

  private add(work: Work, generations: string[]): void {
    let names = this.pending.get(work);
    if (!names) {
      const collected = (names = new Set());
      this.pending.set(work, collected);
      work.afterCommit(() => this.cache!.bump([...collected]));
    }
    for (const name of generations) names.add(name);
  }
}
