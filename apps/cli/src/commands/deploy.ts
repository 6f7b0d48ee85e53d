import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, parse as parsePath, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DeploymentInfo, DeployProgress } from '@fmnist/deployer';
import type { Command } from 'commander';
import { type CliContext, note, print } from '../context.js';
import { UsageError } from '../errors.js';
import { resolveVersion, versionSpec } from '../registry.js';

type Target = 'local' | 'kubernetes';

/** The CLI package's root (holds package.json), whether this module runs from src/ or from a dist chunk. */
function cliRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the fmnist CLI package root');
    dir = up;
  }
  return dir;
}

/** The serving app: its bin serves one model folder (`--model-dir DIR --port N --host H`). */
const SERVE_PACKAGE = '@fmnist/serve';
/** The serving app's bin inside its package: what local deploys run, and what the image's CMD runs. */
export const SERVE_BIN = 'dist/bin.js';

function servePackageDir(): string {
  return realpathSync(join(cliRoot(), 'node_modules', ...SERVE_PACKAGE.split('/')));
}

/**
 * The command that serves one model folder: apps/serve's own bin. Until that bin is built this falls
 * back to the CLI's `serve`, which takes the same flags.
 */
export function localServeCommand(modelDir: string) {
  const serveBin = join(servePackageDir(), SERVE_BIN);
  const [bin, ...sub] = existsSync(serveBin) ? [serveBin] : [join(cliRoot(), 'dist', 'bin.js'), 'serve'];
  return {
    command: process.execPath,
    args: (port: number) => [bin!, ...sub, '--model-dir', modelDir, '--port', String(port)],
  };
}

/** The pnpm workspace the CLI runs from (the folder holding pnpm-workspace.yaml), if any. */
function workspaceRoot(): string | undefined {
  for (let dir = cliRoot(); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * The serving app as a self-contained folder: `pnpm deploy --filter @fmnist/serve --prod` copies its dist
 * and its production dependencies only, so the image carries no Kubernetes client, gRPC or SQLite.
 * `--legacy`: this workspace does not inject its packages, which pnpm 10's default deploy requires.
 */
function deployServer(out: string): void {
  const root = workspaceRoot();
  if (!root) {
    throw new UsageError(
      'deploy build-context runs from the fmnist source tree (it packs apps/serve with pnpm)',
    );
  }
  if (!existsSync(join(servePackageDir(), 'dist'))) {
    throw new UsageError(
      `${SERVE_PACKAGE} is not built: run "npx turbo run build --filter=${SERVE_PACKAGE}..." first`,
    );
  }
  const pm = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { packageManager?: string })
    .packageManager;
  const args = ['-y', pm ?? 'pnpm@10', 'deploy', '--filter', SERVE_PACKAGE, '--prod', '--legacy', out];
  // pnpm 10 also writes the deployed package's bin links under <workspace>/<out as a relative path>;
  // remove that stray folder unless it was there before.
  const stray = join(root, relative(parsePath(out).root, out).split(/[\\/]/)[0] ?? '');
  const strayExisted = existsSync(stray);
  const r = spawnSync(process.platform === 'win32' ? 'npx.cmd' : 'npx', args, {
    cwd: root,
    encoding: 'utf8',
    shell: process.platform === 'win32',
  });
  if (!strayExisted && stray !== root) rmSync(stray, { recursive: true, force: true });
  if (r.status !== 0) {
    const tail = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-8).join('\n');
    throw new Error(`npx ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}):\n${tail}`);
  }
}

function wholeNumber(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new UsageError(`${name} must be a whole number from ${min} to ${max}, got "${value}"`);
    }
    return n;
  };
}

function target(value: string): Target {
  if (value !== 'local' && value !== 'kubernetes') {
    throw new UsageError(`--target must be local or kubernetes, got "${value}"`);
  }
  return value;
}

/**
 * Pins `--version` (a number or `latest`) to a number and, when artifacts are needed, a folder: the one
 * given with --model-dir, else the registered version's checkpoint.
 */
async function pinVersion(
  program: Command,
  c: CliContext,
  o: { model: string; version: number | 'latest'; modelDir?: string },
  needArtifacts: boolean,
): Promise<{ version: number; modelDir: string }> {
  if (o.modelDir) {
    if (o.version === 'latest') throw new UsageError('--model-dir needs a version number: --version N');
    return { version: o.version, modelDir: resolve(o.modelDir) };
  }
  if (!needArtifacts && o.version !== 'latest') return { version: o.version, modelDir: '' };
  const r = await resolveVersion(program, c, o.model, o.version);
  return { version: r.version.version, modelDir: r.modelDir };
}

function progress(ctx: CliContext) {
  return (e: DeployProgress) => note(ctx, `  ${e.message}`);
}

function describeInfo(i: DeploymentInfo): string {
  const where = i.url ?? (i.namespace ? `namespace ${i.namespace}` : '');
  // The split is only real where Istio or Ambassador applies the predictors' traffic weights.
  const canary = !i.canary
    ? ''
    : i.canary.trafficSplit === 'none'
      ? `, canary v${i.canary.version} (traffic not split: needs Istio or Ambassador)`
      : `, canary v${i.canary.version} at ${i.canary.percent}%${i.canary.trafficSplit ? ` (${i.canary.trafficSplit})` : ''}`;
  const prev = i.previousVersion ? ` (previous: v${i.previousVersion})` : '';
  return `${i.name}: ${i.model} v${i.version}${canary} ${i.state}${where ? ` at ${where}` : ''}${prev}`;
}

const CANARY_NOTE =
  'note: Seldon Core splits traffic between predictors only through Istio or Ambassador; on a cluster ' +
  'with neither, both versions run but the canary gets no share of the traffic (see README, Canary).';

/** The Kubernetes client takes a moment to load; only deploy commands pay for it. */
const loadDeployer = () => import('@fmnist/deployer');

async function deployerFor(
  ctx: CliContext,
  t: Target,
  o: { namespace?: string; timeout?: number; port?: number },
) {
  const { createKubernetesDeployer, createLocalDeployer } = await loadDeployer();
  if (t === 'kubernetes') {
    return createKubernetesDeployer({
      ...(o.namespace ? { namespace: o.namespace } : {}),
      ...(o.timeout ? { timeoutMs: o.timeout * 1000 } : {}),
    });
  }
  return createLocalDeployer({
    home: ctx.home,
    serveCommand: (m) => localServeCommand(m.modelDir),
    ...(o.timeout ? { healthTimeoutMs: o.timeout * 1000 } : {}),
  });
}

export function registerDeploy(program: Command, ctx: () => CliContext): void {
  const deploy = program
    .command('deploy')
    .description('Serve a model version on this machine or on Kubernetes with Seldon Core');

  deploy
    .command('apply', { isDefault: true })
    .description('deploy a model version (the default: "fmnist deploy --model NAME --version N")')
    .requiredOption('--model <name>', 'model name')
    .requiredOption('--version <n>', 'model version: a number or latest', versionSpec)
    .option('--model-dir <dir>', "the version's artifact folder (default: the registry's checkpoint)")
    .option('--target <target>', 'local or kubernetes', target, 'local' as Target)
    .option('--name <name>', 'deployment name (default: the model name)')
    .option('--namespace <ns>', "Kubernetes namespace (default: the kubeconfig context's, else default)")
    .option('--replicas <n>', 'pods per predictor (Kubernetes)', wholeNumber('--replicas', 0), 1)
    .option(
      '--canary <percent>',
      'send this share of traffic to the new version (Kubernetes)',
      wholeNumber('--canary', 1, 99),
    )
    .option(
      '--stable-version <n>',
      'the serving version, for a canary manifest with --dry-run',
      wholeNumber('--stable-version', 1),
    )
    .option('--image <image>', 'serving image (default fmnist/<model>:v<version>)')
    .option('--port <port>', 'stable local port (local; default 9000)', wholeNumber('--port', 1, 65535))
    .option(
      '--timeout <seconds>',
      'how long to wait for the deployment to serve',
      wholeNumber('--timeout', 1),
    )
    .option('--dry-run', 'print the SeldonDeployment instead of deploying')
    .option('-o, --output <format>', 'yaml or json (with --dry-run: the manifest; otherwise: the result)')
    .action(
      async (o: {
        model: string;
        version: number | 'latest';
        modelDir?: string;
        target: Target;
        name?: string;
        namespace?: string;
        replicas: number;
        canary?: number;
        stableVersion?: number;
        image?: string;
        port?: number;
        timeout?: number;
        dryRun?: boolean;
        output?: string;
      }) => {
        const c = ctx();
        if (o.output && o.output !== 'yaml' && o.output !== 'json') {
          throw new UsageError(`-o must be yaml or json, got "${o.output}"`);
        }
        const pinned = await pinVersion(program, c, o, !o.dryRun && o.target === 'local');
        const {
          createKubernetesDeployer,
          createLocalDeployer,
          loadKubeConfig,
          namespaceOf,
          seldonDeployment,
          toYaml,
        } = await loadDeployer();
        if (o.dryRun) {
          if (o.canary !== undefined && o.stableVersion === undefined) {
            throw new UsageError(
              '--dry-run with --canary needs --stable-version N (the version serving now)',
            );
          }
          // As kubectl would choose it; a manifest needs no cluster, so no kubeconfig means `default`.
          let namespace = o.namespace;
          if (!namespace) {
            try {
              namespace = namespaceOf(loadKubeConfig());
            } catch {
              namespace = 'default';
            }
          }
          const manifest = seldonDeployment({
            model: o.model,
            version: pinned.version,
            namespace,
            replicas: o.replicas,
            ...(o.name ? { name: o.name } : {}),
            ...(o.image ? { image: o.image } : {}),
            ...(o.canary !== undefined
              ? { canary: { percent: o.canary, stableVersion: o.stableVersion! } }
              : {}),
          });
          c.stdout.write(o.output === 'json' ? `${JSON.stringify(manifest, null, 2)}\n` : toYaml(manifest));
          if (o.canary !== undefined) note(c, CANARY_NOTE);
          return;
        }
        let info: DeploymentInfo;
        if (o.target === 'local') {
          if (o.canary !== undefined) throw new UsageError('--canary needs --target kubernetes');
          const modelDir = pinned.modelDir;
          info = await createLocalDeployer({
            home: c.home,
            serveCommand: (m) => localServeCommand(m.modelDir),
            ...(o.timeout ? { healthTimeoutMs: o.timeout * 1000 } : {}),
          }).deploy({
            model: o.model,
            version: pinned.version,
            modelDir,
            ...(o.name ? { name: o.name } : {}),
            ...(o.port ? { port: o.port } : {}),
            onProgress: progress(c),
          });
        } else {
          if (o.port !== undefined) throw new UsageError('--port is for --target local');
          info = await createKubernetesDeployer({
            ...(o.namespace ? { namespace: o.namespace } : {}),
            ...(o.timeout ? { timeoutMs: o.timeout * 1000 } : {}),
          }).deploy({
            model: o.model,
            version: pinned.version,
            replicas: o.replicas,
            ...(o.name ? { name: o.name } : {}),
            ...(o.image ? { image: o.image } : {}),
            ...(o.canary !== undefined ? { canaryPercent: o.canary } : {}),
            onProgress: progress(c),
          });
        }
        if (o.output === 'json') print(c, JSON.stringify(info));
        else if (o.output === 'yaml') c.stdout.write(toYaml(info));
        else print(c, `deployed ${describeInfo(info)}`);
        if (info.canary?.trafficSplit === 'none') note(c, CANARY_NOTE);
      },
    );

  deploy
    .command('build-context')
    .description(
      'write a Docker build context (Dockerfile, server, model, manifest.json) for a model version',
    )
    .requiredOption('--model <name>', 'model name')
    .requiredOption('--version <n>', 'model version: a number or latest', versionSpec)
    .requiredOption('--out <dir>', 'the folder to create')
    .option('--model-dir <dir>', "the version's artifact folder")
    .option('--base-image <image>', 'Node base image (default node:20.19-bookworm-slim)')
    .option('--overwrite', 'replace --out if it exists')
    .action(
      async (o: {
        model: string;
        version: number | 'latest';
        out: string;
        modelDir?: string;
        baseImage?: string;
        overwrite?: boolean;
      }) => {
        const c = ctx();
        const { version, modelDir } = await pinVersion(program, c, o, true);
        const staging = await mkdtemp(join(tmpdir(), 'fmnist-context-'));
        const { writeBuildContext } = await loadDeployer();
        try {
          deployServer(join(staging, 'server'));
          const manifest = await writeBuildContext({
            serverDir: join(staging, 'server'),
            modelDir,
            out: o.out,
            model: { name: o.model, version },
            ...(o.baseImage ? { baseImage: o.baseImage } : {}),
            ...(o.overwrite ? { overwrite: true } : {}),
          });
          print(
            c,
            `build context for ${o.model} v${version} in ${resolve(o.out)} (${manifest.files.length} files)`,
          );
          print(c, `  docker build -t fmnist/${o.model}:v${version} ${resolve(o.out)}`);
        } finally {
          await rm(staging, { recursive: true, force: true });
        }
      },
    );

  const common = (cmd: Command) =>
    cmd
      .option('--target <target>', 'local or kubernetes', target, 'local' as Target)
      .option('--namespace <ns>', "Kubernetes namespace (default: the kubeconfig context's, else default)");

  common(deploy.command('list').description('list deployments and whether they serve'))
    .option('--json', 'print as JSON')
    .action(async (o: { target: Target; namespace?: string; json?: boolean }) => {
      const c = ctx();
      const all = await (await deployerFor(c, o.target, o)).list();
      if (o.json) return print(c, JSON.stringify(all));
      if (all.length === 0) return print(c, `no ${o.target} deployments`);
      for (const i of all) print(c, describeInfo(i));
    });

  common(
    deploy
      .command('delete')
      .argument('<name>', 'deployment name')
      .description('stop and remove a deployment'),
  ).action(async (name: string, o: { target: Target; namespace: string }) => {
    const c = ctx();
    await (await deployerFor(c, o.target, o)).delete(name);
    print(c, `deleted ${name}`);
  });

  common(
    deploy
      .command('rollback')
      .argument('<name>', 'deployment name')
      .description('return to the previous version'),
  )
    .option(
      '--timeout <seconds>',
      'how long to wait for the deployment to serve',
      wholeNumber('--timeout', 1),
    )
    .action(async (name: string, o: { target: Target; namespace?: string; timeout?: number }) => {
      const c = ctx();
      const info = await (await deployerFor(c, o.target, o)).rollback(name, { onProgress: progress(c) });
      print(c, `rolled back ${describeInfo(info)}`);
    });
}
