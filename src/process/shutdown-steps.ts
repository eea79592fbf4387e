// Graceful shutdown as a list of steps, each with its own time limit: a step that fails or
// overruns is recorded and the next one still runs, so the whole shutdown always ends, and the
// outcome says which steps did not finish.
import { TIMED_OUT, withinMs } from '../lib/time-bound.ts';

export interface ShutdownStep {
  name: string;
  /** How long the step may take. */
  limitMs: number;
  run(): Promise<unknown>;
  /** Called when the step overran: drop what it still holds (a socket, say). */
  abandon?(): void;
}

export type StepOutcome = { step: string; outcome: 'done' } | { step: string; outcome: 'timed out' } | { step: string; outcome: 'failed'; error: string };

/** Thrown by stop() when some step did not finish; `steps` lists only those. */
export class ShutdownIncomplete extends Error {
  constructor(readonly steps: StepOutcome[]) {
    super(`shutdown incomplete: ${steps.map((s) => `${s.step} ${s.outcome}`).join(', ')}`);
    this.name = 'ShutdownIncomplete';
  }
}

/** The most the steps can take together: the basis of the process's hard deadline. */
export const totalLimitMs = (steps: readonly ShutdownStep[]) => steps.reduce((sum, step) => sum + step.limitMs, 0);

/** Runs the steps in order; resolves when all are done, rejects with ShutdownIncomplete otherwise. */
export async function runShutdownSteps(steps: readonly ShutdownStep[]): Promise<void> {
  const unfinished: StepOutcome[] = [];
  for (const step of steps) {
    try {
      if ((await withinMs(step.limitMs, step.run())) === TIMED_OUT) {
        unfinished.push({ step: step.name, outcome: 'timed out' });
        step.abandon?.();
      }
    } catch (error) {
      unfinished.push({ step: step.name, outcome: 'failed', error: error instanceof Error ? error.message : String(error) });
    }
  }
  if (unfinished.length) throw new ShutdownIncomplete(unfinished);
}
