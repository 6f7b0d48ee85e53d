/**
 * Environment variables a trial process is started with. Names follow Determined's
 * (master/pkg/tasks/task.go, task_trial.go at v0.38.1) where it has one; FMNIST_HOME and
 * DET_TRIAL_TARGET are the embedded master's.
 */
export const TRIAL_ENV = {
  home: 'FMNIST_HOME',
  master: 'DET_MASTER',
  certFile: 'DET_MASTER_CERT_FILE',
  experimentId: 'DET_EXPERIMENT_ID',
  experimentConfig: 'DET_EXPERIMENT_CONFIG',
  trialId: 'DET_TRIAL_ID',
  runId: 'DET_TRIAL_RUN_ID',
  hparams: 'DET_HPARAMS',
  stepsCompleted: 'DET_STEPS_COMPLETED',
  target: 'DET_TRIAL_TARGET',
  latestCheckpoint: 'DET_LATEST_CHECKPOINT',
  user: 'DET_USER',
  password: 'DET_PASS',
  /** The allocation session token: sent as `x-allocation-token`, never as `Authorization`. */
  token: 'DET_SESSION_TOKEN',
  /** A user session token for the trial's owner. */
  userToken: 'DET_USER_TOKEN',
  allocationId: 'DET_ALLOCATION_ID',
  /** Where the shared_fs storage is mounted in the trial's container, if not /determined_shared_fs. */
  sharedFsMount: 'FMNIST_SHARED_FS_MOUNT',
  taskId: 'DET_TASK_ID',
} as const;
