import type { Request, Response } from 'express';

/** How often a watched experiment is looked at, and how often a quiet stream says it is alive. */
export interface LiveTiming {
  pollMs: number;
  heartbeatMs: number;
}

export const LIVE_TIMING: LiveTiming = { pollMs: 1000, heartbeatMs: 15_000 };

/** One look at a watched thing: what to send, and whether it can change any more. */
export interface Snapshot<T> {
  value: T;
  final: boolean;
}

interface Watch {
  listeners: Set<Response>;
  last?: string;
  timer?: NodeJS.Timeout;
  looking: boolean;
}

/**
 * Server-sent events over one poller per key: however many pages watch an experiment, the master is
 * asked once per period, and a page is sent the snapshot only when it changed. A stream ends when the
 * thing it watches is final, when its page goes away, or when the dashboard closes.
 */
export function createLiveHub<T>(look: (key: string) => Promise<Snapshot<T>>, timing = LIVE_TIMING) {
  const watches = new Map<string, Watch>();

  function send(res: Response, event: string, data: string) {
    res.write(`event: ${event}\ndata: ${data}\n\n`);
  }

  function drop(key: string, res: Response) {
    const w = watches.get(key);
    if (!w) return;
    w.listeners.delete(res);
    if (w.listeners.size === 0) {
      clearTimeout(w.timer);
      watches.delete(key);
    }
  }

  async function tick(key: string) {
    const w = watches.get(key);
    if (!w || w.looking) return;
    w.looking = true;
    let final = false;
    try {
      const snap = await look(key);
      const data = JSON.stringify(snap.value);
      final = snap.final;
      if (data !== w.last) {
        w.last = data;
        for (const res of w.listeners) send(res, 'snapshot', data);
      }
    } catch (e) {
      const data = JSON.stringify({ message: (e as Error)?.message ?? String(e) });
      for (const res of w.listeners) send(res, 'engine-error', data);
    } finally {
      w.looking = false;
    }
    if (watches.get(key) !== w) return;
    if (final) {
      for (const res of [...w.listeners]) {
        send(res, 'end', '{}');
        res.end();
      }
      watches.delete(key);
      return;
    }
    w.timer = setTimeout(() => void tick(key), timing.pollMs);
  }

  return {
    /** Answers a GET with an event stream of `key`'s snapshots. */
    subscribe(key: string, req: Request, res: Response) {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      // A page that loses the stream reconnects after this long (EventSource's retry field).
      res.write(`retry: ${timing.pollMs * 2}\n\n`);
      const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), timing.heartbeatMs);
      let w = watches.get(key);
      const fresh = !w;
      if (!w) {
        w = { listeners: new Set(), looking: false };
        watches.set(key, w);
      }
      w.listeners.add(res);
      // A newcomer to a running watch gets the latest snapshot at once.
      if (!fresh && w.last !== undefined) send(res, 'snapshot', w.last);
      const gone = () => {
        clearInterval(heartbeat);
        drop(key, res);
      };
      req.on('close', gone);
      res.on('close', gone);
      if (fresh) void tick(key);
    },
    /** How many pages watch `key` (tests). */
    listeners: (key: string) => watches.get(key)?.listeners.size ?? 0,
    close() {
      for (const [key, w] of watches) {
        clearTimeout(w.timer);
        for (const res of [...w.listeners]) res.end();
        watches.delete(key);
      }
    },
  };
}

export type LiveHub = ReturnType<typeof createLiveHub>;
