// Float64 twins of the Mamba kernels and of the whole Mamba mixer block, written for clarity: the GPU
// kernels are tested against these. Layouts as the kernels use them (last dimension fastest):
// u, delta, z, y (B, L, D); B and C (B, L, G, N); A (D, N); state (B, D, N); conv x (B, L, D),
// conv weight (D, W), conv state (B, W - 1, D) (row j = the input W - 1 - j tokens back).

import { matmulRef, silu, softplus } from './basic';

export interface SelectiveScanRefInputs {
  batch: number;
  seqLen: number;
  dInner: number;
  dState: number;
  groups?: number;
  u: ArrayLike<number>;
  delta: ArrayLike<number>;
  A: ArrayLike<number>;
  /** (B, L, G, N) */
  B: ArrayLike<number>;
  /** (B, L, G, N) */
  C: ArrayLike<number>;
  D?: ArrayLike<number> | null;
  z?: ArrayLike<number> | null;
  deltaBias?: ArrayLike<number> | null;
  deltaSoftplus?: boolean;
  /** (B, D, N) */
  initialState?: ArrayLike<number> | null;
}

/** selective_scan_ref: returns y (B, L, D) and the last state (B, D, N). */
export function selectiveScanRef(p: SelectiveScanRefInputs): { y: Float64Array; lastState: Float64Array } {
  const { batch, seqLen, dInner, dState } = p;
  const groups = p.groups ?? 1;
  const channelsPerGroup = dInner / groups;
  const y = new Float64Array(batch * seqLen * dInner);
  const lastState = new Float64Array(batch * dInner * dState);
  const h = new Float64Array(dState);
  for (let b = 0; b < batch; b++) {
    for (let d = 0; d < dInner; d++) {
      const g = Math.floor(d / channelsPerGroup);
      for (let n = 0; n < dState; n++) h[n] = p.initialState ? p.initialState[(b * dInner + d) * dState + n] : 0;
      for (let t = 0; t < seqLen; t++) {
        const at = (b * seqLen + t) * dInner + d;
        let dt = p.delta[at] + (p.deltaBias ? p.deltaBias[d] : 0);
        if (p.deltaSoftplus) dt = softplus(dt);
        const u = p.u[at];
        const bcBase = ((b * seqLen + t) * groups + g) * dState;
        let out = 0;
        for (let n = 0; n < dState; n++) {
          h[n] = Math.exp(dt * p.A[d * dState + n]) * h[n] + dt * p.B[bcBase + n] * u;
          out += h[n] * p.C[bcBase + n];
        }
        if (p.D) out += p.D[d] * u;
        if (p.z) out *= silu(p.z[at]);
        y[at] = out;
      }
      for (let n = 0; n < dState; n++) lastState[(b * dInner + d) * dState + n] = h[n];
    }
  }
  return { y, lastState };
}

export interface SelectiveStateUpdateRefInputs {
  batch: number;
  dInner: number;
  dState: number;
  groups?: number;
  /** (B, D, N) */
  state: ArrayLike<number>;
  x: ArrayLike<number>;
  dt: ArrayLike<number>;
  A: ArrayLike<number>;
  /** (B, G, N) */
  B: ArrayLike<number>;
  C: ArrayLike<number>;
  D?: ArrayLike<number> | null;
  z?: ArrayLike<number> | null;
  dtBias?: ArrayLike<number> | null;
  dtSoftplus?: boolean;
}

/** selective_state_update_ref: returns y (B, D) and the new state (B, D, N). */
export function selectiveStateUpdateRef(p: SelectiveStateUpdateRefInputs): { y: Float64Array; state: Float64Array } {
  const { batch, dInner, dState } = p;
  const groups = p.groups ?? 1;
  const state = Float64Array.from(p.state);
  const y = new Float64Array(batch * dInner);
  for (let b = 0; b < batch; b++) {
    for (let d = 0; d < dInner; d++) {
      const g = Math.floor(d / (dInner / groups));
      let dt = p.dt[b * dInner + d] + (p.dtBias ? p.dtBias[d] : 0);
      if (p.dtSoftplus) dt = softplus(dt);
      const x = p.x[b * dInner + d];
      let out = 0;
      for (let n = 0; n < dState; n++) {
        const s = (b * dInner + d) * dState + n;
        const bc = (b * groups + g) * dState + n;
        state[s] = state[s] * Math.exp(dt * p.A[d * dState + n]) + dt * p.B[bc] * x;
        out += state[s] * p.C[bc];
      }
      if (p.D) out += p.D[d] * x;
      if (p.z) out *= silu(p.z[b * dInner + d]);
      y[b * dInner + d] = out;
    }
  }
  return { y, state };
}

/**
 * causal_conv1d_ref over x (B, L, D), weight (D, W), optional bias, SiLU or none, optionally starting from
 * convState (B, W - 1, D). Returns out (B, L, D) and the conv state after the sequence.
 */
export function causalConv1dRef(
  x: ArrayLike<number>,
  weight: ArrayLike<number>,
  bias: ArrayLike<number> | null,
  batch: number,
  seqLen: number,
  channels: number,
  width: number,
  activation: 'silu' | 'none',
  convState?: ArrayLike<number> | null,
): { out: Float64Array; convState: Float64Array } {
  const past = width - 1;
  // The input with the W - 1 previous values in front: position p of `padded` is input p - past.
  const input = (b: number, pos: number, d: number): number => {
    if (pos >= 0) return x[(b * seqLen + pos) * channels + d];
    return convState ? convState[(b * past + past + pos) * channels + d] : 0;
  };
  const out = new Float64Array(batch * seqLen * channels);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < seqLen; t++) {
      for (let d = 0; d < channels; d++) {
        let acc = bias ? bias[d] : 0;
        for (let k = 0; k < width; k++) acc += weight[d * width + k] * input(b, t - past + k, d);
        out[(b * seqLen + t) * channels + d] = activation === 'silu' ? silu(acc) : acc;
      }
    }
  }
  const next = new Float64Array(batch * past * channels);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < past; j++) for (let d = 0; d < channels; d++) next[(b * past + j) * channels + d] = input(b, seqLen - past + j, d);
  }
  return { out, convState: next };
}

export interface MambaRefSettings {
  dState: number;
  dConv: number;
  expand: number;
  dtRank: number;
}

export type MambaRefWeights = Record<string, { shape: number[]; data: ArrayLike<number> }>;

/**
 * The Mamba mixer (mamba_simple.Mamba without the fast path, no norm, no residual) on x (B, L, dModel):
 * in_proj -> x, z; x = silu(conv1d(x)); x_proj -> dt, B, C; dt = dt_proj.weight · dt;
 * y = selective_scan(x, dt, A = -exp(A_log), B, C, D, z, delta_bias = dt_proj.bias, softplus); out_proj(y).
 */
export function mambaBlockRef(settings: MambaRefSettings, dModel: number, weights: MambaRefWeights, x: ArrayLike<number>, batch: number, seqLen: number): Float64Array {
  const { dState, dConv, expand, dtRank } = settings;
  const dInner = expand * dModel;
  const w = (name: string) => {
    const t = weights[name];
    if (!t) throw new Error(`mambaBlockRef: missing weight '${name}'`);
    return t.data;
  };
  const rows = batch * seqLen;
  const xz = matmulRef(x, w('in_proj.weight'), 1, rows, dModel, 2 * dInner, true);
  const xPart = new Float64Array(rows * dInner);
  const zPart = new Float64Array(rows * dInner);
  for (let r = 0; r < rows; r++) {
    for (let d = 0; d < dInner; d++) {
      xPart[r * dInner + d] = xz[r * 2 * dInner + d];
      zPart[r * dInner + d] = xz[r * 2 * dInner + dInner + d];
    }
  }
  const u = causalConv1dRef(xPart, w('conv1d.weight'), w('conv1d.bias'), batch, seqLen, dInner, dConv, 'silu').out;
  const xdblWidth = dtRank + 2 * dState;
  const xdbl = matmulRef(u, w('x_proj.weight'), 1, rows, dInner, xdblWidth, true);
  const dtLow = new Float64Array(rows * dtRank);
  const Bm = new Float64Array(rows * dState);
  const Cm = new Float64Array(rows * dState);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < dtRank; i++) dtLow[r * dtRank + i] = xdbl[r * xdblWidth + i];
    for (let n = 0; n < dState; n++) {
      Bm[r * dState + n] = xdbl[r * xdblWidth + dtRank + n];
      Cm[r * dState + n] = xdbl[r * xdblWidth + dtRank + dState + n];
    }
  }
  const delta = matmulRef(dtLow, w('dt_proj.weight'), 1, rows, dtRank, dInner, true);
  const A = Array.from(w('A_log'), (v) => -Math.exp(v));
  const { y } = selectiveScanRef({
    batch,
    seqLen,
    dInner,
    dState,
    u,
    delta,
    A,
    B: Bm,
    C: Cm,
    D: w('D'),
    z: zPart,
    deltaBias: w('dt_proj.bias'),
    deltaSoftplus: true,
  });
  return matmulRef(y, w('out_proj.weight'), 1, rows, dInner, dModel, true);
}
