export { GateError } from './errors.js';
export {
  DEFAULT_MIN_ACCURACY,
  formatGateSummary,
  gateExitCode,
  REPORT_FILES,
  runAccuracyGate,
} from './gate.js';
export { CLASS_NAMES } from './internal/metrics.js';
export {
  assertGatePassed,
  type GateRunOptions,
  loadTestSet,
  runGate,
  type VersionToTest,
  versionsFromFolders,
} from './run.js';
export type {
  AccuracyGateOptions,
  ClassMetrics,
  GateFailure,
  GateMode,
  GateModel,
  GateReport,
  GateResult,
  Misclassified,
  TestSet,
  VersionInput,
  VersionReport,
} from './types.js';
