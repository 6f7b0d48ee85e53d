import { DeployError } from '../errors.js';
import { LABELS } from '../manifest.js';
import type { DeployProgress, KubeObject } from '../types.js';
import { ref, type SeldonApi } from './api.js';
import { type DeploymentObject, deploymentRollout, podProblems, type Rollout } from './rollout.js';
import { predictorImage, predictors, predictorVersion } from './spec.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What one predictor of an applied spec waits for: its Deployment, running this version's image. */
interface Expected {
  predictor: string;
  version: number | undefined;
  image: string | undefined;
}

/** Waiting on a cluster: for a rollout to finish, for a deleted object to be gone. */
export function createWaiter(api: SeldonApi, o: { timeoutMs: number; pollIntervalMs: number }) {
  const { timeoutMs, pollIntervalMs } = o;
  const { read, eventsOf, deploymentsOf, podsOf } = api;

  /**
   * Waits until a SeldonDeployment that is being deleted is gone. A Foreground delete keeps the object,
   * with a deletionTimestamp and the `foregroundDeletion` finalizer, until the garbage collector has
   * removed its Deployments and pods; an apply meanwhile would land on an object about to vanish.
   */
  async function waitGone(
    name: string,
    namespace: string,
    onProgress: ((e: DeployProgress) => void) | undefined,
    started = Date.now(),
  ): Promise<void> {
    let said = false;
    for (;;) {
      const obj = await read(name, namespace);
      if (!obj) return;
      const elapsedMs = Date.now() - started;
      const finalizers = (obj.metadata.finalizers as string[] | undefined) ?? [];
      if (!said) {
        onProgress?.({
          phase: 'waiting',
          message: `${ref(name, namespace)} is being deleted (finalizers: ${finalizers.join(', ') || 'none'}); waiting for it to be gone`,
          state: 'Terminating',
          elapsedMs,
        });
        said = true;
      }
      if (elapsedMs >= timeoutMs) {
        throw new DeployError(
          'TERMINATING',
          `${ref(name, namespace)} was still being deleted after ${Math.round(timeoutMs / 1000)} s ` +
            `(deletionTimestamp ${String(obj.metadata.deletionTimestamp)}, finalizers: ${finalizers.join(', ') || 'none'}): ` +
            'wait for it to go, or deploy under another --name. Recent events:',
          await eventsOf(name, namespace),
        );
      }
      await sleep(Math.min(pollIntervalMs, Math.max(0, timeoutMs - elapsedMs)));
    }
  }

  function expectedOf(applied: KubeObject): Expected[] {
    return predictors(applied).map((p) => ({
      predictor: p.name ?? 'main',
      version: predictorVersion(p),
      image: predictorImage(p),
    }));
  }

  /** The operator's Deployment for one predictor, once it carries the applied version (else undefined). */
  function deploymentFor(
    name: string,
    want: Expected,
    all: DeploymentObject[],
  ): DeploymentObject | undefined {
    // Operator naming: <sdep>-<predictor>-<componentSpec index>-<container names> (GetDeploymentName).
    const prefix = `${name}-${want.predictor}-`;
    return all.find((d) => {
      if (!d.metadata?.name?.startsWith(prefix)) return false;
      const tpl = d.spec?.template;
      const versionOk =
        want.version === undefined || tpl?.metadata?.labels?.[LABELS.modelVersion] === String(want.version);
      const imageOk =
        want.image === undefined || (tpl?.spec?.containers ?? []).some((c) => c.image === want.image);
      return versionOk && imageOk;
    });
  }

  /** Why the pods of the new version do not serve, and their warning events. */
  async function diagnose(name: string, namespace: string, wants: Expected[]): Promise<string[]> {
    const versions = new Set(wants.map((w) => String(w.version)));
    const pods = (await podsOf(name, namespace)).filter((p) => {
      const v = p.metadata?.labels?.[LABELS.modelVersion];
      return v === undefined || versions.has(v);
    });
    const lines: string[] = [];
    for (const pod of pods.slice(0, 5)) {
      const problems = podProblems(pod);
      if (problems.length === 0) continue;
      lines.push(...problems);
      if (pod.metadata?.name) lines.push(...(await eventsOf(pod.metadata.name, namespace, true)).slice(-5));
    }
    return lines;
  }

  /**
   * Waits for a rollout the way `kubectl rollout status` does, on the operator's Deployments: the Seldon
   * v1 operator never writes status.observedGeneration and keeps `Available` while old pods still serve
   * during a rolling update (operator `controllers/seldondeployment_controller.go`, createDeployments and
   * the status switch in Reconcile), so its status cannot tell whether the new version is up.
   */
  async function waitRollout(
    applied: KubeObject,
    onProgress: ((e: DeployProgress) => void) | undefined,
  ): Promise<KubeObject> {
    const { name, namespace = 'default' } = applied.metadata;
    const wants = expectedOf(applied);
    const started = Date.now();
    let last = '';
    for (;;) {
      const obj = await read(name, namespace);
      if (!obj) {
        throw new DeployError('DEPLOY_FAILED', `${ref(name, namespace)} disappeared while waiting for it`);
      }
      if (obj.metadata.deletionTimestamp) {
        throw new DeployError(
          'DEPLOY_FAILED',
          `${ref(name, namespace)} is being deleted while waiting for it`,
        );
      }
      const status = (obj.status ?? {}) as { state?: string; description?: string };
      const all = await deploymentsOf(name, namespace);
      const rollouts: Rollout[] = wants.map((w) => {
        const d = deploymentFor(name, w, all);
        if (!d) {
          return {
            state: 'waiting',
            message: `predictor "${w.predictor}": waiting for the operator to create or update its Deployment${status.state === 'Failed' && status.description ? ` (operator: ${status.description})` : ''}`,
          };
        }
        return deploymentRollout(d);
      });
      const failed = rollouts.find((r) => r.state === 'failed');
      const pending = rollouts.find((r) => r.state !== 'done');
      const elapsedMs = Date.now() - started;
      if (!pending) {
        onProgress?.({
          phase: 'waiting',
          message: `${ref(name, namespace)}: rolled out`,
          state: 'Available',
          elapsedMs,
        });
        return { ...obj, status: { ...status, state: 'Available' } };
      }
      const problems = failed ? [] : await diagnose(name, namespace, wants);
      const message = `${ref(name, namespace)}: ${pending.message}${problems[0] ? `; ${problems[0]}` : ''}`;
      if (message !== last) {
        onProgress?.({ phase: 'waiting', message, state: status.state ?? 'Unknown', elapsedMs });
        last = message;
      }
      if (failed) {
        throw new DeployError(
          'DEPLOY_FAILED',
          `${ref(name, namespace)} failed: ${failed.message}. The pods say:`,
          [...(await diagnose(name, namespace, wants)), ...(await eventsOf(name, namespace))],
        );
      }
      if (elapsedMs >= timeoutMs) {
        const why = await diagnose(name, namespace, wants);
        throw new DeployError(
          'TIMEOUT',
          `${ref(name, namespace)} did not roll out within ${Math.round(timeoutMs / 1000)} s: ${pending.message}` +
            ` (SeldonDeployment state: ${status.state ?? 'Unknown'}). ${why.length > 0 ? 'The pods say:' : 'Recent events:'}`,
          [...why, ...(await eventsOf(name, namespace))],
        );
      }
      await sleep(Math.min(pollIntervalMs, Math.max(0, timeoutMs - elapsedMs)));
    }
  }

  return { waitGone, waitRollout };
}
