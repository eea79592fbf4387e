// Time at the edges: parse input in the user's zone, format output with an explicit offset.
import dayjs from 'dayjs';
import utc from 'dayjs/plugin/utc.js';
import timezone from 'dayjs/plugin/timezone.js';
import customParseFormat from 'dayjs/plugin/customParseFormat.js';

dayjs.extend(utc);
dayjs.extend(timezone);
dayjs.extend(customParseFormat);

export { dayjs };

const EXPLICIT_ZONE = /(Z|[+-]\d{2}:?\d{2})$/i;
const NAIVE_FORMATS = ['YYYY-MM-DD HH:mm:ss', 'YYYY-MM-DDTHH:mm:ss', 'YYYY-MM-DD HH:mm', 'YYYY-MM-DDTHH:mm', 'YYYY-MM-DD'];
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Reads an ISO 8601 value; a naive one (no offset) is wall-clock time in `zone`. Null when unreadable. */
export function parseInstant(text: string, zone: string): Date | null {
  const value = text.trim();
  if (EXPLICIT_ZONE.test(value)) {
    if (!ISO_WITH_ZONE.test(value)) return null;
    const parsed = dayjs(value);
    return parsed.isValid() ? parsed.toDate() : null;
  }
  for (const format of NAIVE_FORMATS) {
    if (dayjs(value, format, true).isValid()) {
      const zoned = dayjs.tz(value, format, zone);
      return zoned.isValid() ? zoned.toDate() : null;
    }
  }
  return null;
}

/** ISO 8601 with the offset of `zone`, e.g. 2026-05-22T09:00:00+02:00. */
export function formatInstant(date: Date, zone: string): string {
  return dayjs(date).tz(zone).format('YYYY-MM-DDTHH:mm:ssZ');
}

/** The seed's `YYYY-MM-DD HH:mm:ss` wall-clock form (used by /auth). */
export function formatWallClock(date: Date, zone: string): string {
  return dayjs(date).tz(zone).format('YYYY-MM-DD HH:mm:ss');
}
