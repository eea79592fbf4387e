// Size limits of type definitions and items: what one tenant may ask the process to compile,
// hold in memory and write in one request. The figures and their reasons: docs/decisions.md.

/** Properties per type. A 200-property type compiles its three input validators in ~180 ms. */
export const MAX_PROPERTIES = 200;
/** Values of one enum property (the contract's maxItems, checked again on every path). */
export const MAX_ENUM_VALUES = 500;
/**
 * UTF-8 bytes of a type's property definitions as the API shows them (names, kinds, flags,
 * defaults, enum values, media types). One maximal enum (500 values of 200 characters, ~100 KB)
 * fits beside a hundred ordinary properties; a validator of this size compiles in ~20 ms.
 */
export const MAX_DEFINITION_BYTES = 128 * 1024;

/** Values of one multi-value property (and files of one multiple file property). */
export const MAX_VALUES_PER_PROPERTY = 1000;
/**
 * Values of one item over all its properties: its index rows. One item is the most a write
 * request stores, so this is also the per-request bound. 2,000 rows write in ~0.3 s on SQLite.
 */
export const MAX_VALUES_PER_ITEM = 2000;
/** Index rows per INSERT: 500 × 6 bound parameters stays far below SQLite's 32,766. */
export const INDEX_ROWS_PER_STATEMENT = 500;
