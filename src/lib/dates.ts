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
  // dayjs reads exactly three fraction digits: normalise 1-9 of them to milliseconds.
  const fraction = /^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2})\.(\d{1,9})$/.exec(value);
  if (fraction) {
    const whole = parseInstant(fraction[1], zone);
    return whole ? new Date(whole.getTime() + Number(fraction[2].padEnd(3, '0').slice(0, 3))) : null;
  }
  for (const format of NAIVE_FORMATS) {
    if (dayjs(value, format, true).isValid()) {
      const zoned = dayjs.tz(value, format, zone);
      return zoned.isValid() ? zoned.toDate() : null;
    }
  }
  return null;
}

interface WallClock {
  year: string;
  month: string;
  day: string;
  hour: string;
  minute: string;
  second: string;
  /** Minutes east of UTC. */
  offset: number;
}

// dayjs's tz() rebuilds formatters per call and cost a quarter of a request's CPU in the auth
// benchmark; one cached Intl formatter per zone gives the same wall clock for a fraction.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

function wallClock(date: Date, zone: string): WallClock {
  if (zone === 'UTC' || zone === 'Etc/UTC') {
    return {
      year: pad(date.getUTCFullYear(), 4), month: pad(date.getUTCMonth() + 1), day: pad(date.getUTCDate()),
      hour: pad(date.getUTCHours()), minute: pad(date.getUTCMinutes()), second: pad(date.getUTCSeconds()), offset: 0,
    };
  }
  const parts: Record<string, string> = {};
  for (const part of formatterFor(zone).formatToParts(date)) parts[part.type] = part.value;
  const wholeSeconds = Math.floor(date.getTime() / 1000) * 1000;
  const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return {
    year: parts.year.padStart(4, '0'), month: parts.month, day: parts.day,
    hour: parts.hour, minute: parts.minute, second: parts.second, offset: Math.round((asUtc - wholeSeconds) / 60_000),
  };
}

/**
 * ISO 8601 with the offset of `zone`, e.g. 2026-05-22T09:00:00+02:00; milliseconds appear
 * only when the instant has them, so a value read back filters to the same instant.
 */
export function formatInstant(date: Date, zone: string): string {
  const w = wallClock(date, zone);
  const sign = w.offset < 0 ? '-' : '+';
  const offset = Math.abs(w.offset);
  const ms = date.getTime() % 1000;
  const fraction = ms === 0 ? '' : `.${pad((ms + 1000) % 1000, 3)}`;
  return `${w.year}-${w.month}-${w.day}T${w.hour}:${w.minute}:${w.second}${fraction}${sign}${pad(Math.floor(offset / 60))}:${pad(offset % 60)}`;
}

const wallClockMemo = new Map<string, string>();

/** The seed's `YYYY-MM-DD HH:mm:ss` wall-clock form (used by /auth; memoized: keys repeat). */
export function formatWallClock(date: Date, zone: string): string {
  const key = `${date.getTime()}|${zone}`;
  let text = wallClockMemo.get(key);
  if (text === undefined) {
    const w = wallClock(date, zone);
    text = `${w.year}-${w.month}-${w.day} ${w.hour}:${w.minute}:${w.second}`;
    if (wallClockMemo.size >= 10_000) wallClockMemo.clear();
    wallClockMemo.set(key, text);
  }
  return text;
}

/** Now, to the whole second: system timestamps are kept as they are shown, so a value read back filters exactly. */
export function wholeSecond(): Date {
  return new Date(Math.floor(Date.now() / 1000) * 1000);
}
