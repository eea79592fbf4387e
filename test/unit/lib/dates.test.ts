import { expect } from 'chai';
import { dayjs, formatInstant, formatWallClock, parseInstant } from '../../../src/lib/dates.ts';

describe('lib/dates', () => {
  describe('formatInstant', () => {
    const cases: [string, string, string][] = [
      ['2026-05-22T07:00:00Z', 'Europe/Prague', '2026-05-22T09:00:00+02:00'],
      ['2026-01-15T07:00:00Z', 'Europe/Prague', '2026-01-15T08:00:00+01:00'],
      ['2026-05-22T07:00:00Z', 'America/New_York', '2026-05-22T03:00:00-04:00'],
      ['2026-01-15T07:00:00Z', 'America/New_York', '2026-01-15T02:00:00-05:00'],
      ['2026-03-29T01:30:00Z', 'Europe/Prague', '2026-03-29T03:30:00+02:00'],
      ['2026-10-25T00:30:00Z', 'Europe/Prague', '2026-10-25T02:30:00+02:00'],
      ['2026-10-25T01:30:00Z', 'Europe/Prague', '2026-10-25T02:30:00+01:00'],
      ['2026-05-22T07:00:00Z', 'Asia/Kolkata', '2026-05-22T12:30:00+05:30'],
      ['9999-12-31T00:00:00Z', 'UTC', '9999-12-31T00:00:00+00:00'],
    ];
    for (const [instant, zone, expected] of cases) {
      it(`formats ${instant} in ${zone} as ${expected}, as dayjs does`, () => {
        expect(formatInstant(new Date(instant), zone)).to.equal(expected);
        expect(dayjs(new Date(instant)).tz(zone).format('YYYY-MM-DDTHH:mm:ssZ')).to.equal(expected);
      });
    }
  });

  it('keeps milliseconds when the instant has them, so a value read back filters to itself', () => {
    expect(formatInstant(new Date('2026-05-22T07:00:00.250Z'), 'Europe/Prague')).to.equal('2026-05-22T09:00:00.250+02:00');
    expect(formatInstant(new Date('2026-05-22T07:00:00.005Z'), 'UTC')).to.equal('2026-05-22T07:00:00.005+00:00');
    expect(parseInstant('2026-05-22T09:00:00.250+02:00', 'UTC')!.toISOString()).to.equal('2026-05-22T07:00:00.250Z');
    expect(parseInstant('2026-05-22T09:00:00.25', 'Europe/Prague')!.toISOString()).to.equal('2026-05-22T07:00:00.250Z');
  });

  it('formats the seed wall clock form', () => {
    expect(formatWallClock(new Date('2026-12-31T00:00:00Z'), 'UTC')).to.equal('2026-12-31 00:00:00');
    expect(formatWallClock(new Date('2026-07-01T12:00:00Z'), 'Europe/Prague')).to.equal('2026-07-01 14:00:00');
  });

  describe('parseInstant', () => {
    it('reads explicit offsets as the same instant', () => {
      for (const text of ['2026-05-22T09:00:00+02:00', '2026-05-22T07:00:00Z', '2026-05-22T03:00:00-04:00']) {
        expect(parseInstant(text, 'America/New_York')!.toISOString()).to.equal('2026-05-22T07:00:00.000Z');
      }
    });

    it("reads naive values in the given zone", () => {
      expect(parseInstant('2026-05-22 09:00:00', 'Europe/Prague')!.toISOString()).to.equal('2026-05-22T07:00:00.000Z');
      expect(parseInstant('2026-05-22T09:00:00', 'Europe/Prague')!.toISOString()).to.equal('2026-05-22T07:00:00.000Z');
      expect(parseInstant('2026-12-31', 'America/New_York')!.toISOString()).to.equal('2026-12-31T05:00:00.000Z');
    });

    it('returns null for unreadable input', () => {
      for (const text of ['next tuesday', '2026-13-01', '2026-05-22T25:00:00Z', '', "'; DROP TABLE x; --"]) {
        expect(parseInstant(text, 'UTC'), text).to.equal(null);
      }
    });
  });
});
