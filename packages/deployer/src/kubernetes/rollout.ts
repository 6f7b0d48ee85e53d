/**
 * Reading the objects a rollout is made of: the apps/v1 Deployments the Seldon operator creates for each
 * predictor, and their Pods. Pure functions over the JSON the API server returns.
 */

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

export interface DeploymentObject {
  metadata?: { name?: string; generation?: number; labels?: Record<string, string> };
  spec?: {
    replicas?: number;
    template?: {
      metadata?: { labels?: Record<string, string> };
      spec?: { containers?: { name?: string; image?: string }[] };
    };
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    conditions?: Condition[];
  };
}

export interface PodObject {
  metadata?: { name?: string; labels?: Record<string, string>; deletionTimestamp?: string };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    conditions?: Condition[];
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}

interface ContainerStatus {
  name?: string;
  ready?: boolean;
  restartCount?: number;
  state?: {
    waiting?: { reason?: string; message?: string };
    terminated?: { reason?: string; exitCode?: number; message?: string };
  };
  lastState?: { terminated?: { reason?: string; exitCode?: number; message?: string } };
}

export type Rollout =
  | { state: 'done'; message: string }
  | { state: 'waiting'; message: string }
  | { state: 'failed'; message: string };

/**
 * Whether a Deployment has rolled out, decided as `kubectl rollout status` decides it
 * (k8s.io/kubectl `pkg/polymorphichelpers/rollout_status.go`, DeploymentStatusViewer.Status): the
 * controller must have observed the current generation; then a Progressing condition with reason
 * ProgressDeadlineExceeded fails it, and it is done once every replica is updated, no old replica is left
 * and every updated replica is available.
 */
export function deploymentRollout(d: DeploymentObject): Rollout {
  const name = d.metadata?.name ?? '?';
  const generation = d.metadata?.generation ?? 0;
  const s = d.status ?? {};
  if (generation > (s.observedGeneration ?? 0)) {
    return { state: 'waiting', message: `deployment "${name}": waiting for the spec update to be observed` };
  }
  const progressing = s.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return {
      state: 'failed',
      message: `deployment "${name}" exceeded its progress deadline${progressing.message ? ` (${progressing.message})` : ''}`,
    };
  }
  const want = d.spec?.replicas;
  const updated = s.updatedReplicas ?? 0;
  const total = s.replicas ?? 0;
  const available = s.availableReplicas ?? 0;
  if (want !== undefined && updated < want) {
    return {
      state: 'waiting',
      message: `deployment "${name}": ${updated} out of ${want} new replicas have been updated`,
    };
  }
  if (total > updated) {
    return {
      state: 'waiting',
      message: `deployment "${name}": ${total - updated} old replicas are pending termination`,
    };
  }
  if (available < updated) {
    return {
      state: 'waiting',
      message: `deployment "${name}": ${available} of ${updated} updated replicas are available`,
    };
  }
  return { state: 'done', message: `deployment "${name}" successfully rolled out` };
}

/** Waiting reasons that mean the kubelet is still getting the container going, not that it is stuck. */
const STARTING = new Set(['ContainerCreating', 'PodInitializing']);

/**
 * Why a Pod does not serve, in the Pod's own words: the scheduler's PodScheduled=False condition
 * (reason `Unschedulable`, k8s.io/api `core/v1/types.go` PodReasonUnschedulable), a container waiting
 * with a reason (`ErrImagePull`, `ImagePullBackOff`, `InvalidImageName` from kubelet `pkg/kubelet/images/types.go`;
 * `CrashLoopBackOff` with the last exit), or a failed phase (`Evicted`). Empty when nothing is wrong yet.
 */
export function podProblems(pod: PodObject): string[] {
  const name = pod.metadata?.name ?? '?';
  const s = pod.status ?? {};
  const out: string[] = [];
  if (s.phase === 'Failed') {
    out.push(`pod ${name} failed${s.reason ? `: ${s.reason}` : ''}${s.message ? ` (${s.message})` : ''}`);
  }
  const scheduled = s.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False') {
    out.push(
      `pod ${name} is not scheduled: ${scheduled.reason ?? 'Unknown'}${scheduled.message ? ` (${scheduled.message})` : ''}`,
    );
  }
  for (const c of [...(s.initContainerStatuses ?? []), ...(s.containerStatuses ?? [])]) {
    const waiting = c.state?.waiting;
    if (waiting?.reason && !STARTING.has(waiting.reason)) {
      const last = c.lastState?.terminated;
      const exit = last ? `; last exit ${last.exitCode ?? '?'}${last.reason ? ` ${last.reason}` : ''}` : '';
      out.push(
        `pod ${name} container ${c.name ?? '?'}: ${waiting.reason}${waiting.message ? ` (${waiting.message})` : ''}${exit}`,
      );
    }
    const term = c.state?.terminated;
    if (term && term.exitCode !== 0) {
      out.push(
        `pod ${name} container ${c.name ?? '?'}: terminated with exit ${term.exitCode ?? '?'}${term.reason ? ` (${term.reason})` : ''}`,
      );
    }
  }
  return out;
}
