// The list statement guard (compile.ts `bindable`): SQLite refuses more than 32,766 bound values
// per statement with a 500-shaped driver error; the guard answers a 400 first.
import { expect } from 'chai';
import { Prisma } from '../../../generated/prisma-sqlite/client.ts';
import { bindable, MAX_BOUND_VALUES } from '../../../src/store/items/compile.ts';
import { MAX_FILTER_VALUES } from '../../../src/store/items/filters.ts';
import { MAX_EXPANDED_TAGS } from '../../../src/domain/tags/tag-filter.ts';
import { AppError } from '../../../src/errors/define-error.ts';

const withValues = (count: number) => Prisma.sql`SELECT 1 WHERE 1 IN (${Prisma.join(Array.from({ length: count }, (_, i) => i))})`;

describe('store/items/compile: bound values per list statement', () => {
  it('passes a statement of MAX_BOUND_VALUES values unchanged', () => {
    const sql = withValues(MAX_BOUND_VALUES);
    expect(bindable(sql)).to.equal(sql);
  });

  it('refuses one more with 400 FILTER_INVALID', () => {
    expect(() => bindable(withValues(MAX_BOUND_VALUES + 1)))
      .to.throw(AppError)
      .with.property('code', 'FILTER_INVALID');
  });

  it('leaves room under SQLite’s 32,766 for the request limits: filter values, tag ids and constants', () => {
    expect(MAX_FILTER_VALUES + MAX_EXPANDED_TAGS + 1 + 100).to.be.below(MAX_BOUND_VALUES);
    expect(MAX_BOUND_VALUES).to.be.below(32_766);
  });
});
