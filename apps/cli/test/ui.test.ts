import { describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';

describe('fmnist ui', () => {
  it('will not listen past loopback without a token', async () => {
    const r = await runCli(undefined, 'ui', '--host', '0.0.0.0', '--port', '0');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/binding the dashboard to 0\.0\.0\.0/);
    expect(r.stderr).toMatch(/--token/);
  });

  it('rejects a port out of range and a model URL that is not one', async () => {
    expect((await runCli(undefined, 'ui', '--port', '70000')).stderr).toMatch(/--port must be 0\.\.65535/);
    const r = await runCli(undefined, 'ui', '--port', '0', '--model-url', 'nine-thousand');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--model-url must be a URL/);
  });
});
