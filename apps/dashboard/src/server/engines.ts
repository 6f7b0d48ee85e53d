import { createDataClient, type DataClient } from '@fmnist/data-client';
import type { Deployer } from '@fmnist/deployer';
import { createDeterminedClient, type DeterminedClient } from '@fmnist/determined-client';

/** Which engine an error came from, so the page can say "the experiment master said: …". */
export type Engine = 'master' | 'data' | 'deployer' | 'model' | 'dashboard';

export class EngineError extends Error {
  override readonly name = 'EngineError';
  constructor(
    readonly engine: Engine,
    override readonly cause: unknown,
  ) {
    super((cause as Error)?.message ?? String(cause));
  }
}

/** Runs one engine call; a failure keeps its message and code and says which engine it was. */
export async function ask<T>(engine: Engine, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw e instanceof EngineError ? e : new EngineError(engine, e);
  }
}

export interface EngineOptions {
  home: string;
  /** A Determined master; default DET_MASTER, else the embedded master of the home. */
  master?: string;
  /** A pachd address; default PACHD_ADDRESS, else the embedded store of the home. */
  pachdAddress?: string;
  /** List SeldonDeployments too; default: when KUBECONFIG is set. */
  kubernetes?: boolean;
}

export interface Engines {
  master: DeterminedClient;
  data: DataClient;
  /** The local deployer, and the Kubernetes one when asked for; loaded on first use. */
  deployers(): Promise<Deployer[]>;
  kubernetes: boolean;
  close(): Promise<void>;
}

/**
 * The clients the dashboard reads through: the packages' own factories choose the backend, exactly
 * as the CLI's do, so the dashboard shows what the CLI would.
 */
export function openEngines(o: EngineOptions): Engines {
  const master = createDeterminedClient({
    home: o.home,
    master: o.master ?? process.env.DET_MASTER,
    user: process.env.DET_USER,
    password: process.env.DET_PASS,
  });
  const data = createDataClient({ home: o.home, pachdAddress: o.pachdAddress ?? process.env.PACHD_ADDRESS });
  const kubernetes = o.kubernetes ?? Boolean(process.env.KUBECONFIG);
  let deployers: Promise<Deployer[]> | undefined;
  return {
    master,
    data,
    kubernetes,
    deployers() {
      // The Kubernetes client takes a moment to load: only the deployments page pays for it.
      deployers ??= import('@fmnist/deployer').then((d) => {
        const local = d.createLocalDeployer({
          home: o.home,
          serveCommand: () => {
            throw new Error('the dashboard lists deployments; deploy with "fmnist deploy"');
          },
        });
        return kubernetes ? [local, d.createKubernetesDeployer({})] : [local];
      });
      return deployers;
    },
    async close() {
      await Promise.allSettled([master.close(), data.close()]);
    },
  };
}
