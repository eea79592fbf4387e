// Mocha's spec reporter, then the wall time of each test file (its hooks included), slowest
// first: the number to read when the CI run grows towards its budget.
// Use: mocha --reporter scripts/ci/timing-reporter.cjs  (TIMING_TOP=N lines, default 25)
'use strict';
const Mocha = require('mocha');
const path = require('node:path');

const { EVENT_SUITE_BEGIN, EVENT_SUITE_END, EVENT_RUN_END } = Mocha.Runner.constants;

class TimingReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const started = new Map();
    const seconds = new Map();
    runner.on(EVENT_SUITE_BEGIN, (suite) => {
      if (suite.parent?.root && suite.file) started.set(suite, process.hrtime.bigint());
    });
    runner.on(EVENT_SUITE_END, (suite) => {
      const t0 = started.get(suite);
      if (t0 === undefined) return;
      const file = path.relative(process.cwd(), suite.file);
      seconds.set(file, (seconds.get(file) ?? 0) + Number(process.hrtime.bigint() - t0) / 1e9);
    });
    runner.once(EVENT_RUN_END, () => {
      const top = Number(process.env.TIMING_TOP ?? 25);
      const rows = [...seconds].sort((a, b) => b[1] - a[1]);
      const total = rows.reduce((sum, [, s]) => sum + s, 0);
      console.log(`\n  time per test file (slowest ${Math.min(top, rows.length)} of ${rows.length}, ${total.toFixed(0)} s in all)`);
      for (const [file, s] of rows.slice(0, top)) console.log(`  ${s.toFixed(1).padStart(8)} s  ${file}`);
    });
  }
}

module.exports = TimingReporter;
