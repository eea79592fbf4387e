// Keeps an error body small whatever the request: details echo request keys and values, and
// one request can fail on thousands of fields (a body of unknown keys, a long multi-value list).
import type { ErrorDetail } from './define-error.ts';

/** Enough to fix a request field by field; the rest is summed up in one final entry. */
export const MAX_DETAILS = 50;
/** A path or message longer than this is cut (a path echoes a request key of any length). */
export const MAX_DETAIL_TEXT = 200;
/** The error message echoes request values too (an unknown property, a collection name). */
export const MAX_MESSAGE = 500;

export function boundText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** At most MAX_DETAILS entries of bounded length, then one saying how many were left out. */
export function boundDetails(details: readonly ErrorDetail[]): ErrorDetail[] {
  const kept = details.slice(0, MAX_DETAILS).map((detail) => ({
    ...(detail.path !== undefined ? { path: boundText(detail.path, MAX_DETAIL_TEXT) } : {}),
    message: boundText(detail.message, MAX_DETAIL_TEXT),
  }));
  const omitted = details.length - kept.length;
  if (omitted > 0) kept.push({ message: `${omitted} more problem(s) omitted` });
  return kept;
}
