import type { DeterminedClient } from '@fmnist/determined-client';

/**
 * Experiments this dashboard activated on the embedded master. That master runs an experiment's
 * trials in the process that waits for it, so an activated experiment runs here until it ends or
 * the dashboard stops; stopping leaves it checkpointed and PAUSED, to be activated again.
 * A Determined master schedules activated experiments itself: nothing runs here then.
 */
export interface Runs {
  activate(id: number): Promise<void>;
  close(): Promise<void>;
}

export function createRuns(master: DeterminedClient, onError: (id: number, e: unknown) => void): Runs {
  const running = new Map<number, { stop: AbortController; done: Promise<unknown> }>();
  return {
    async activate(id) {
      await master.activateExperiment(id);
      if (master.backend !== 'local' || running.has(id)) return;
      const stop = new AbortController();
      const done = master
        .waitForExperiment(id, { signal: stop.signal })
        .catch((e) => {
          if (!stop.signal.aborted) onError(id, e);
        })
        .finally(() => running.delete(id));
      running.set(id, { stop, done });
    },
    async close() {
      const all = [...running.values()];
      for (const r of all) r.stop.abort();
      await Promise.allSettled(all.map((r) => r.done));
    },
  };
}
