import { SeldonWrapperError } from './errors.js';

/** Runs `fn`, turning a synchronous throw into a rejection and a hang past `ms` into MODEL_TIMEOUT. */
export function withTimeout<T>(fn: () => T | Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(
      () => reject(new SeldonWrapperError('MODEL_TIMEOUT', `the model did not answer within ${ms} ms`)),
      ms,
    );
    new Promise<T>((r) => r(fn())).then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
