// The one table from a runner op name (the golden cases' `op`) to its implementation.

import type { RunnerOp } from './op';
import { matmulOp, rmsNormOp } from './foundation-ops';

export const RUNNER_OPS: Record<string, RunnerOp> = {
  matmul: matmulOp,
  rms_norm: rmsNormOp,
};
