// Matrix-vector form of the matmul for few rows (decode: one token per sequence): C (M×N) = A (M×K) · Wᵀ,
// W stored (N×K) as linear-layer weights, M ≤ MAX_M. Each workgroup computes ROWS outputs n for all M
// rows; the LANES invocations of a row stride along K reading W's row contiguously (coalesced, vec4 when
// VEC4), then reduce through workgroup memory. Weights are read once: the kernel is bandwidth-bound.
// Params: M, K, N, lda, aOffset, accumulate.

override ROWS: u32 = 8u;
override LANES: u32 = 32u;
override VEC4: bool = true;
const MAX_M = 4u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> W: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;

var<workgroup> partial: array<array<f32, MAX_M>, ROWS * LANES>;

@compute @workgroup_size(ROWS * LANES)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let r = t / LANES;
  let lane = t % LANES;
  let n = (wid.x + wid.y * nwg.x) * ROWS + r;
  var acc: array<f32, MAX_M>;
  for (var m = 0u; m < MAX_M; m++) { acc[m] = 0.0; }
  if (n < P.N) {
    let wBase = n * P.K;
    if (VEC4) {
      // K, lda and aOffset are multiples of 4 here (the host checks), so vec4 rows stay aligned.
      let k4 = P.K / 4u;
      for (var j = lane; j < k4; j += LANES) {
        let k = j * 4u;
        let w = vec4<f32>(W[wBase + k], W[wBase + k + 1u], W[wBase + k + 2u], W[wBase + k + 3u]);
        for (var m = 0u; m < MAX_M; m++) {
          if (m < P.M) {
            let a0 = P.aOffset + m * P.lda + k;
            acc[m] += dot(w, vec4<f32>(A[a0], A[a0 + 1u], A[a0 + 2u], A[a0 + 3u]));
          }
        }
      }
    } else {
      for (var k = lane; k < P.K; k += LANES) {
        let w = W[wBase + k];
        for (var m = 0u; m < MAX_M; m++) {
          if (m < P.M) { acc[m] = fma(w, A[P.aOffset + m * P.lda + k], acc[m]); }
        }
      }
    }
  }
  partial[t] = acc;
  workgroupBarrier();
  for (var stride = LANES / 2u; stride > 0u; stride = stride / 2u) {
    if (lane < stride) {
      for (var m = 0u; m < MAX_M; m++) { partial[t][m] += partial[t + stride][m]; }
    }
    workgroupBarrier();
  }
  if (lane == 0u && n < P.N) {
    for (var m = 0u; m < MAX_M; m++) {
      if (m < P.M) {
        let at = m * P.N + n;
        if (P.accumulate == 1u) { C[at] = C[at] + partial[t][m]; } else { C[at] = partial[t][m]; }
      }
    }
  }
}
