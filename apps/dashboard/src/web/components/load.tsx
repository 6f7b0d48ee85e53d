import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiFailure, get } from '../api.js';

export function ErrorBox(props: { error: unknown }) {
  const e = props.error;
  const engine = e instanceof ApiFailure && e.engine && e.engine !== 'dashboard' ? e.engine : undefined;
  const who =
    engine === 'master'
      ? 'The experiment master'
      : engine === 'data'
        ? 'The data store'
        : engine === 'model'
          ? 'The model server'
          : engine === 'deployer'
            ? 'The deployer'
            : undefined;
  return (
    <div class="error" role="alert">
      <strong>
        {who
          ? e instanceof ApiFailure && e.status < 500
            ? `${who} says`
            : `${who} failed`
          : 'Something went wrong'}
      </strong>
      {e instanceof ApiFailure ? <code>{e.code}</code> : null}
      <p>{(e as Error)?.message ?? String(e)}</p>
    </div>
  );
}

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  reload: () => void;
}

/** GETs an API path; `refreshMs` polls it (e.g. while an experiment runs). */
export function useApi<T>(path: string | null, refreshMs?: number): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    if (!path) return;
    let live = true;
    get<T>(path).then(
      (d) => {
        if (!live) return;
        setData(d);
        setError(undefined);
      },
      (e) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [path, tick]);
  useEffect(() => {
    if (!refreshMs) return;
    const t = setInterval(reload, refreshMs);
    return () => clearInterval(t);
  }, [refreshMs, reload]);
  return { data, error, reload };
}

/** Shows the error, a loading line, or the page. */
export function Page<T>(props: { loaded: Loaded<T>; children: (data: T) => ComponentChildren }) {
  const { data, error } = props.loaded;
  if (error && data === undefined) return <ErrorBox error={error} />;
  if (data === undefined) return <p class="muted">Loading…</p>;
  return (
    <>
      {error ? <ErrorBox error={error} /> : null}
      {props.children(data)}
    </>
  );
}
