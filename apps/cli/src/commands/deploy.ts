import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
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

/** The command that serves one model folder: this CLI's own `serve`. */
export function localServeCommand(modelDir: string) {
  const bin = join(cliRoot(), 'dist', 'bin.js');
  return {
    command: process.execPath,
    args: (port: number) => [bin, 'serve', '--model-dir', modelDir, '--port', String(port)],
  };
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
  const canary = i.canary ? `, canary v${i.canary.version} at ${i.canary.percent}%` : '';
  const prev = i.previousVersion ? ` (previous: v${i.previousVersion})` : '';
  return `${i.name}: ${i.model} v${i.version}${canary} ${i.state}${where ? ` at ${where}` : ''}${prev}`;
}

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

interface PackageJson {
  name: string;
  version?: string;
  type?: string;
  main?: string;
  exports?: unknown;
  bin?: unknown;
  dependencies?: Record<string, string>;
}

/**
 * The files the model server image needs: the CLI's dist, and each workspace package it uses (dist and a
 * package.json whose `workspace:` links become `file:` paths, so plain `npm install` in the image resolves them).
 */
async function serverFiles(staging: string): Promise<{ from: string; to: string }[]> {
  const root = cliRoot();
  const files: { from: string; to: string }[] = [{ from: join(root, 'dist'), to: 'dist' }];
  const seen = new Map<string, string>(); // package name -> its folder
  const read = (dir: string) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
  const visit = (dir: string) => {
    for (const [dep, spec] of Object.entries(read(dir).dependencies ?? {})) {
      if (!spec.startsWith('workspace:') || seen.has(dep)) continue;
      const depDir = realpathSync(join(dir, 'node_modules', dep));
      seen.set(dep, depDir);
      visit(depDir);
    }
  };
  visit(root);
  const slug = (name: string) => name.replace(/^@[^/]+\//, '');
  const rewrite = (deps: Record<string, string> | undefined, prefix: string) =>
    Object.fromEntries(
      Object.entries(deps ?? {}).map(([k, v]) => [
        k,
        v.startsWith('workspace:') ? `file:${prefix}${slug(k)}` : v,
      ]),
    );
  const cli = read(root);
  await mkdir(staging, { recursive: true });
  const top = join(staging, 'package.json');
  await writeFile(
    top,
    `${JSON.stringify({ name: 'fmnist-server', private: true, type: 'module', bin: cli.bin, dependencies: rewrite(cli.dependencies, './packages/') }, null, 2)}\n`,
  );
  files.push({ from: top, to: 'package.json' });
  for (const [name, dir] of seen) {
    const pkg = read(dir);
    const out = join(staging, slug(name));
    await mkdir(out, { recursive: true });
    const { name: n, version, type, main, exports, bin } = pkg;
    await writeFile(
      join(out, 'package.json'),
      `${JSON.stringify({ name: n, version, type, main, exports, bin, dependencies: rewrite(pkg.dependencies, '../') }, null, 2)}\n`,
    );
    files.push({ from: join(out, 'package.json'), to: `packages/${slug(name)}/package.json` });
    if (existsSync(join(dir, 'dist')))
      files.push({ from: join(dir, 'dist'), to: `packages/${slug(name)}/dist` });
  }
  return files;
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
    .option('--namespace <ns>', 'Kubernetes namespace', 'default')
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
        namespace: string;
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
        const { createKubernetesDeployer, createLocalDeployer, seldonDeployment, toYaml } =
          await loadDeployer();
        if (o.dryRun) {
          if (o.canary !== undefined && o.stableVersion === undefined) {
            throw new UsageError(
              '--dry-run with --canary needs --stable-version N (the version serving now)',
            );
          }
          const manifest = seldonDeployment({
            model: o.model,
            version: pinned.version,
            namespace: o.namespace,
            replicas: o.replicas,
            ...(o.name ? { name: o.name } : {}),
            ...(o.image ? { image: o.image } : {}),
            ...(o.canary !== undefined
              ? { canary: { percent: o.canary, stableVersion: o.stableVersion! } }
              : {}),
          });
          c.stdout.write(o.output === 'json' ? `${JSON.stringify(manifest, null, 2)}\n` : toYaml(manifest));
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
            namespace: o.namespace,
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
        if (!existsSync(join(cliRoot(), 'dist', 'bin.js'))) {
          throw new UsageError(
            'the fmnist CLI is not built: run "npx turbo run build --filter=@fmnist/cli..." first',
          );
        }
        const staging = await mkdtemp(join(tmpdir(), 'fmnist-context-'));
        const { writeBuildContext } = await loadDeployer();
        try {
          const manifest = await writeBuildContext({
            serverFiles: await serverFiles(staging),
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
      .option('--namespace <ns>', 'Kubernetes namespace', 'default');

  common(deploy.command('list').description('list deployments and whether they serve'))
    .option('--json', 'print as JSON')
    .action(async (o: { target: Target; namespace: string; json?: boolean }) => {
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
    .action(async (name: string, o: { target: Target; namespace: string; timeout?: number }) => {
      const c = ctx();
      const info = await (await deployerFor(c, o.target, o)).rollback(name, { onProgress: progress(c) });
      print(c, `rolled back ${describeInfo(info)}`);
    });
}
