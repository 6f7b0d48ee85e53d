import { describe, expect, it } from 'vitest';
import { createServer, SeldonWrapperError, type ServerOptions } from '../src/index.js';
import { echoModel } from './helpers.js';

describe('createServer checks its options when built', () => {
  const model = echoModel().model;
  const cases: [string, Partial<ServerOptions> | Record<string, unknown>, RegExp][] = [
    ['no model', { model: undefined }, /predict/],
    ['a model without predict', { model: { inputShape: [28, 28] } }, /predict/],
    ['no input shape', { model: { ...model, inputShape: [] } }, /inputShape/],
    ['a fractional input dimension', { model: { ...model, inputShape: [28.5] } }, /inputShape/],
    ['repeated class names', { model: { ...model, classNames: ['a', 'a'] } }, /repeat/],
    ['an empty range', { model: { ...model, inputRange: [1, 1] } }, /inputRange/],
    ['a name with a slash', { name: 'a/b' }, /name/],
    ['a name that is a prototype key', { name: '__proto__' }, /name/],
    ['an empty version', { version: '' }, /version/],
    ['a tiny body limit', { maxBodyBytes: 10 }, /maxBodyBytes/],
    ['a zero batch size', { maxBatchSize: 0 }, /maxBatchSize/],
    ['a negative wait', { maxWaitMs: -5 }, /maxWaitMs/],
    ['a zero timeout', { timeoutMs: 0 }, /timeoutMs/],
  ];
  for (const [what, options, message] of cases) {
    it(`refuses ${what}`, () => {
      let error: unknown;
      try {
        createServer({ model, ...options } as ServerOptions);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SeldonWrapperError);
      expect((error as SeldonWrapperError).code).toBe('BAD_OPTIONS');
      expect((error as Error).message).toMatch(message);
    });
  }

  it('accepts a minimal model and leaves listening to the caller', () => {
    const app = createServer({ model: { inputShape: [4], predict: (x) => x } });
    expect(typeof app).toBe('function');
    expect(typeof app.listen).toBe('function');
    expect(typeof app.drain).toBe('function');
  });
});
