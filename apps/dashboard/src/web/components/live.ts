import { useEffect, useState } from 'preact/hooks';
import { ApiFailure } from '../api.js';
import { type Loaded, useApi } from './load.js';

/** How a page stays current: a server-sent event stream, polling when there is none, or neither once final. */
export type LiveMode = 'stream' | 'poll' | 'final';

/**
 * Loads `path` and keeps it current through the event stream at `events` (snapshots as they change,
 * until the server says the end). A stream that cannot be opened, or is refused, falls back to
 * GETting `path` every `pollMs` until `isFinal` says nothing will change.
 */
export function useLive<T>(
  path: string,
  events: string,
  pollMs: number,
  isFinal: (data: T) => boolean,
): Loaded<T> & { mode: LiveMode } {
  const [mode, setMode] = useState<LiveMode>(() => (typeof EventSource === 'function' ? 'stream' : 'poll'));
  const [pushed, setPushed] = useState<T>();
  const [streamError, setStreamError] = useState<unknown>();
  const polled = useApi<T>(mode === 'poll' ? path : null, mode === 'poll' ? pollMs : undefined);
  const data = polled.data ?? pushed;
  if (mode === 'poll' && data !== undefined && isFinal(data)) setMode('final');

  useEffect(() => {
    if (mode !== 'stream') return;
    const es = new EventSource(events);
    es.addEventListener('snapshot', (e) => {
      setPushed(JSON.parse((e as MessageEvent<string>).data) as T);
      setStreamError(undefined);
    });
    es.addEventListener('engine-error', (e) => {
      const { message } = JSON.parse((e as MessageEvent<string>).data) as { message: string };
      setStreamError(new ApiFailure(502, 'ENGINE_FAILED', message, 'master'));
    });
    es.addEventListener('end', () => {
      es.close();
      setMode('final');
    });
    // CONNECTING: the browser reconnects by itself. CLOSED: refused (e.g. 404) — poll instead.
    es.onerror = () => {
      if (es.readyState === EventSource.CLOSED) setMode('poll');
    };
    return () => es.close();
  }, [events, mode]);

  return {
    data,
    error: polled.error ?? streamError,
    // A streamed page gets the change in the next snapshot; a polled one looks again now.
    reload: polled.reload,
    mode,
  };
}
