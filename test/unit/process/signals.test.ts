// exitOnSignals and runShutdownSteps in process: the hard deadline holds even when stop() never
// ends, a second signal exits at once, and one step that hangs does not keep the others from running.
import { EventEmitter } from 'node:events';
import { expect } from 'chai';
import { pino } from 'pino';
import { exitOnSignals } from '../../../src/process/signals.ts';
import { runShutdownSteps, ShutdownIncomplete, type ShutdownStep } from '../../../src/process/shutdown-steps.ts';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const never = () => new Promise<void>(() => undefined);

function harness(stop: () => Promise<void>, deadlineMs = 200) {
  const signals = new EventEmitter();
  const records: Record<string, any>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void records.push(JSON.parse(line)) });
  const exits: { code: number; at: number }[] = [];
  const started = Date.now();
  const remove = exitOnSignals({ logger, stop, deadlineMs, signals, exit: (code) => exits.push({ code, at: Date.now() - started }) });
  return { signals, records, exits, remove };
}

describe('process/signals exitOnSignals', () => {
  let remove: () => void = () => undefined;
  afterEach(() => remove());

  it('exits 1 at the deadline when stop() never ends, and logs why', async () => {
    const h = harness(never, 200);
    remove = h.remove;
    h.signals.emit('SIGTERM');
    await sleep(100);
    expect(h.exits, 'not before the deadline').to.deep.equal([]);
    await sleep(250);
    expect(h.exits.map((e) => e.code)).to.deep.equal([1]);
    expect(h.records.find((r) => r.msg === 'shutdown did not finish within its deadline: exiting')).to.include({ level: 50, deadlineMs: 200 });
  });

  it('exits 0 once stop() resolves, and the deadline does not exit again later', async () => {
    const h = harness(() => sleep(20), 100);
    remove = h.remove;
    h.signals.emit('SIGTERM');
    await sleep(250);
    expect(h.exits.map((e) => e.code)).to.deep.equal([0]);
    expect(h.records.map((r) => r.msg)).to.include('shutdown complete');
  });

  it('exits 1 when a step did not finish, logging the steps', async () => {
    const h = harness(() => Promise.reject(new ShutdownIncomplete([{ step: 'redis', outcome: 'timed out' }])));
    remove = h.remove;
    h.signals.emit('SIGINT');
    await sleep(20);
    expect(h.exits.map((e) => e.code)).to.deep.equal([1]);
    expect(h.records.find((r) => r.msg === 'shutdown incomplete')?.steps).to.deep.equal([{ step: 'redis', outcome: 'timed out' }]);
  });

  for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    it(`a second ${signal} while stop() runs exits ${code} at once; nothing exits again`, async () => {
      const h = harness(never, 300);
      remove = h.remove;
      h.signals.emit(signal);
      await sleep(20);
      h.signals.emit(signal);
      expect(h.exits.map((e) => e.code)).to.deep.equal([code]);
      await sleep(400);
      expect(h.exits.map((e) => e.code), 'the deadline does not exit a second time').to.deep.equal([code]);
      expect(h.records.find((r) => /second signal/.test(r.msg))).to.include({ level: 40, signal });
    });
  }
});

describe('process/shutdown-steps runShutdownSteps', () => {
  it('bounds a step that never ends, abandons it, and still runs the later steps', async () => {
    const ran: string[] = [];
    const steps: ShutdownStep[] = [
      { name: 'hangs', limitMs: 50, run: never, abandon: () => ran.push('hangs abandoned') },
      { name: 'fails', limitMs: 50, run: async () => { throw new Error('boom'); } },
      { name: 'works', limitMs: 50, run: async () => ran.push('works') },
    ];
    const started = Date.now();
    const error = await runShutdownSteps(steps).then(() => null, (e: unknown) => e);
    expect(Date.now() - started).to.be.below(1_000);
    expect(error).to.be.instanceOf(ShutdownIncomplete);
    expect((error as ShutdownIncomplete).steps).to.deep.equal([
      { step: 'hangs', outcome: 'timed out' },
      { step: 'fails', outcome: 'failed', error: 'boom' },
    ]);
    expect(ran).to.deep.equal(['hangs abandoned', 'works']);
  });

  it('resolves when every step finishes in time', async () => {
    await runShutdownSteps([{ name: 'quick', limitMs: 100, run: () => sleep(5) }]);
  });
});
