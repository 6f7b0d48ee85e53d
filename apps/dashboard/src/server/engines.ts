import { createDataClient, type DataClient } from '@fmnist/data-client';
import type { Deployer, LocalDeployer, ServeCommand } from '@fmnist/deployer';
import { createDeterminedClient, type DeterminedClient, type TrialRunner } from '@fmnist/determined-client';
import { serveBin, trialEntrypoint } from './packages.js';

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
  /** How a local deployment serves a model folder; default apps/serve's bin, as `fmnist deploy` runs it. */
  serveCommand?: (modelDir: string) => ServeCommand;
  /** How the embedded master starts the trials of an experiment activated here; default apps/train's entrypoint. */
  trialRunner?: TrialRunner;
}

export interface Engines {
  master: DeterminedClient;
  data: DataClient;
  /** The local deployer, and the Kubernetes one when asked for; loaded on first use. */
  deployers(): Promise<Deployer[]>;
  /** The local deployer alone, which deploys from the dashboard go through. */
  localDeployer(): Promise<LocalDeployer>;
  kubernetes: boolean;
  close(): Promise<void>;
}

export function defaultServeCommand(modelDir: string): ServeCommand {
  const bin = serveBin();
  return {
    command: process.execPath,
    args: (port) => [bin, '--model-dir', modelDir, '--port', String(port)],
  };
}

/** Trials started by the dashboard share the machine with it: one thread each. */
function defaultTrialRunner(home: string): TrialRunner {
  return () => ({
    command: process.execPath,
    args: [trialEntrypoint()],
    env: { FMNIST_HOME: home, FMNIST_WORKERS: '1' },
  });
}

/**
 * The clients the dashboard reads through: the packages' own factories choose the backend, exactly
 * as the CLI's do, so the dashboard shows what the CLI would.
 */
export function openEngines(o: EngineOptions): Engines {
  const remote = Boolean(o.master ?? process.env.DET_MASTER);
  const master = createDeterminedClient({
    home: o.home,
    master: o.master ?? process.env.DET_MASTER,
    user: process.env.DET_USER,
    password: process.env.DET_PASS,
    // Only the embedded master runs trials in this process (an experiment activated on the page).
    ...(remote ? {} : { trialRunner: o.trialRunner ?? defaultTrialRunner(o.home) }),
  });
  const data = createDataClient({ home: o.home, pachdAddress: o.pachdAddress ?? process.env.PACHD_ADDRESS });
  const kubernetes = o.kubernetes ?? Boolean(process.env.KUBECONFIG);
  const serveCommand = o.serveCommand ?? defaultServeCommand;
  // The Kubernetes client takes a moment to load: only the deployments page pays for it.
  const deployer = () => import('@fmnist/deployer');
  let local: Promise<LocalDeployer> | undefined;
  let all: Promise<Deployer[]> | undefined;
  const localDeployer = () => {
    local ??= deployer().then((d) =>
      d.createLocalDeployer({ home: o.home, serveCommand: (m) => serveCommand(m.modelDir) }),
    );
    return local;
  };
  return {
    master,
    data,
    kubernetes,
    localDeployer,
    deployers() {
      all ??= Promise.all([localDeployer(), deployer()]).then(([l, d]) =>
        kubernetes ? [l, d.createKubernetesDeployer({})] : [l],
      );
      return all;
    },
    async close() {
      await Promise.allSettled([master.close(), data.close()]);
    },
  };
}
