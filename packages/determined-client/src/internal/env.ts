/** Environment variables the embedded master gives a trial process (names follow Determined's where it has one). */
export const TRIAL_ENV = {
  home: 'FMNIST_HOME',
  master: 'DET_MASTER',
  experimentId: 'DET_EXPERIMENT_ID',
  trialId: 'DET_TRIAL_ID',
  runId: 'DET_TRIAL_RUN_ID',
  hparams: 'DET_HPARAMS',
  target: 'DET_TRIAL_TARGET',
  latestCheckpoint: 'DET_LATEST_CHECKPOINT',
  user: 'DET_USER',
  password: 'DET_PASS',
  token: 'DET_SESSION_TOKEN',
  allocationId: 'DET_ALLOCATION_ID',
  taskId: 'DET_TASK_ID',
} as const;
