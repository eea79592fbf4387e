// A pg.Client that reports columns of type `name` (OID 19) and `"char"` (OID 18) as text (OID 25).
//
// @prisma/adapter-pg 6.19 cannot deserialize those two types (prisma/orm#27403): any query that
// returns one, such as `SELECT current_schema()` through `$queryRaw` or the schema engine's
// catalog queries, fails with "Failed to deserialize column of type 'name'". Their values
// already arrive as strings; only the label is wrong. Pass this class as the pool's `Client`.
import pg from 'pg';

const TEXT_OID = 25;
const RELABEL_AS_TEXT = new Set([18 /* "char" */, 19 /* name */]);

function relabel(result: unknown): void {
  for (const r of Array.isArray(result) ? result : [result]) {
    const fields = (r as pg.QueryResult | undefined)?.fields;
    if (!fields) continue;
    for (const f of fields) if (RELABEL_AS_TEXT.has(f.dataTypeID)) f.dataTypeID = TEXT_OID;
  }
}

export class CatalogTextClient extends pg.Client {
  // pg.Client#query has many overloads; this wrapper handles the callback and promise forms
  // (pg.Pool uses the first, the adapter's transactions the second) and passes others through.
  override query(config: any, values?: any, callback?: any): any {
    if (typeof values === 'function') {
      callback = values;
      values = undefined;
    }
    if (typeof callback === 'function') {
      return super.query(config, values, (err: Error | null, res: unknown) => {
        if (!err) relabel(res);
        callback(err, res);
      });
    }
    const ret: any = super.query(config, values);
    if (ret && typeof ret.then === 'function') {
      return ret.then((res: unknown) => {
        relabel(res);
        return res;
      });
    }
    return ret;
  }
}
