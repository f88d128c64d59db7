// Float64 twins of the foundation kernels, written for clarity: the GPU kernels are tested against these.
// Arrays are row-major with the last dimension fastest, as on the GPU.

export const silu = (x: number) => x / (1 + Math.exp(-x));
export const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
/** Softplus with the references' threshold: x <= 20 ? log1p(exp(x)) : x. */
export const softplus = (x: number) => (x <= 20 ? Math.log1p(Math.exp(x)) : x);

/** out[b] = a[b] (M×K) · w (K×N), or w stored (N×K) when transposeB; w shared across batches unless batchedB. */
export function matmulRef(
  a: ArrayLike<number>,
  w: ArrayLike<number>,
  batch: number,
  M: number,
  K: number,
  N: number,
  transposeB: boolean,
  batchedB = false,
): Float64Array {
  const out = new Float64Array(batch * M * N);
  for (let b = 0; b < batch; b++) {
    const aOff = b * M * K;
    const wOff = batchedB ? b * K * N : 0;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a[aOff + m * K + k] * (transposeB ? w[wOff + n * K + k] : w[wOff + k * N + n]);
        out[b * M * N + m * N + n] = s;
      }
    }
  }
  return out;
}

export function rmsnormRef(x: ArrayLike<number>, weight: ArrayLike<number>, D: number, eps: number): Float64Array {
  const rows = x.length / D;
  const out = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let i = 0; i < D; i++) ss += x[r * D + i] ** 2;
    const inv = 1 / Math.sqrt(ss / D + eps);
    for (let i = 0; i < D; i++) out[r * D + i] = x[r * D + i] * inv * weight[i];
  }
  return out;
}

export function embeddingRef(ids: ArrayLike<number>, table: ArrayLike<number>, D: number): Float64Array {
  const out = new Float64Array(ids.length * D);
  for (let t = 0; t < ids.length; t++) for (let d = 0; d < D; d++) out[t * D + d] = table[ids[t] * D + d];
  return out;
}
