import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DeployError } from '../src/errors.js';
import type { Deployer, DeployRequest } from '../src/types.js';

export interface DeployerFixture<R extends DeployRequest> {
  deployer: Deployer<R>;
  /** A request for `version` of model `model`, with whatever the target needs besides. */
  request(model: string, version: number): R;
  cleanup(): Promise<void>;
}

/** What every deployment target does the same way; run against each backend. */
export function testDeployer<R extends DeployRequest>(
  name: string,
  make: () => Promise<DeployerFixture<R>>,
): void {
  describe(`Deployer contract: ${name}`, () => {
    let f: DeployerFixture<R>;
    beforeAll(async () => {
      f = await make();
    });
    afterAll(async () => {
      await f?.cleanup();
    });

    test('deploys a version, updates to the next, rolls back, and deletes', async () => {
      const d = f.deployer;
      const v1 = await d.deploy(f.request('shirts', 1));
      expect(v1).toMatchObject({ name: 'shirts', model: 'shirts', version: 1, state: 'Available' });
      expect(v1.previousVersion).toBeUndefined();
      expect((await d.list()).map((x) => [x.name, x.version])).toEqual([['shirts', 1]]);

      const v2 = await d.deploy(f.request('shirts', 2));
      expect(v2).toMatchObject({ version: 2, previousVersion: 1, state: 'Available' });
      expect(await d.get('shirts')).toMatchObject({ version: 2 });

      const back = await d.rollback('shirts');
      expect(back).toMatchObject({ version: 1, previousVersion: 2, state: 'Available' });
      // A second rollback returns to where the first one started.
      expect(await d.rollback('shirts')).toMatchObject({ version: 2, previousVersion: 1 });

      await d.delete('shirts');
      expect(await d.get('shirts')).toBeUndefined();
      expect(await d.list()).toEqual([]);
    });

    test('redeploying the serving version keeps the version to roll back to', async () => {
      const d = f.deployer;
      await d.deploy(f.request('boots', 1));
      await d.deploy(f.request('boots', 2));
      expect(await d.deploy(f.request('boots', 2))).toMatchObject({ version: 2, previousVersion: 1 });
      await d.delete('boots');
    });

    test('a deployment with one version has nothing to roll back to', async () => {
      const d = f.deployer;
      await d.deploy(f.request('bags', 3));
      await expect(d.rollback('bags')).rejects.toMatchObject({ code: 'NO_PREVIOUS_VERSION' });
      await d.delete('bags');
    });

    test('unknown deployments are NOT_FOUND', async () => {
      await expect(f.deployer.delete('nothing-here')).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(f.deployer.rollback('nothing-here')).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await f.deployer.get('nothing-here')).toBeUndefined();
    });

    test('names that are not DNS-1123 labels are refused before anything is deployed', async () => {
      const err = await f.deployer.deploy(f.request('My_Model', 1)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeployError);
      expect(err).toMatchObject({ code: 'INVALID_NAME' });
      expect((err as Error).message).toContain('model name "My_Model" is not a DNS-1123 label');
      expect(await f.deployer.list()).toEqual([]);
    });
  });
}
