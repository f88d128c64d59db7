// The one table from a runner op name (the golden cases' `op`) to its implementation.

import type { RunnerOp } from './op';
import { matmulOp, rmsNormOp } from './foundation-ops';
import { attentionOp, glaOp } from './attention-ops';
import { causalConv1dOp, mambaBlockOp, selectiveScanOp, selectiveStateUpdateOp } from './mamba-ops';

export const RUNNER_OPS: Record<string, RunnerOp> = {
  matmul: matmulOp,
  rms_norm: rmsNormOp,
  selective_scan: selectiveScanOp,
  selective_state_update: selectiveStateUpdateOp,
  causal_conv1d: causalConv1dOp,
  mamba_block: mambaBlockOp,
  attention: attentionOp,
  gla: glaOp,
};
