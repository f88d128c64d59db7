// Shared body of the matrix-vector kernels (decode: M input rows, one token per sequence).
// A workgroup computes ROWS consecutive outputs n0 .. n0 + ROWS - 1 for every input row, MAX_M rows at a
// time (a chunk: rows m0 .. m0 + mc - 1; a chunk after the first reads the same weights again, from cache): its WG
// invocations split the K inputs (invocation t takes elements t, t + WG, ... of each row, so the reads of
// one weight row are contiguous across the workgroup), each invocation keeps ROWS·MAX_M partial dot
// products in registers, and gemv_reduce (gemv_reduce_subgroup.wgsl or gemv_reduce_workgroup.wgsl) sums
// them over the workgroup into `total`.
// Elements are of type V (vec4<f32> when rows are 16-byte aligned, else f32) holding VW floats; vsum adds
// a V's components. The host prepends WG, ROWS, MAX_M, V, VW and vsum, then the Params struct (M, K, N, eps, ...).
// The including kernel defines loadA(m, j) (element j of input row m, after any input transform), loadW(n, j)
// (element j of weight row n), NormW (the RMSNorm weight, read when NORM) and gemv_store(m, n, v) (what is
// done with the finished output n of input row m), and calls gemv_run from its entry point.
// With NORM the input rows are RMS-normalized on the fly: out = inverseSqrt(mean(a²) + eps) · Σ_k W·(g ⊙ a),
// the sum of squares of each row reduced alongside the dot products (the 1/rms factor moves out of the sum).

override NORM: bool = false;

// Per invocation: ROWS·MAX_M dot products (index r·MAX_M + m), then MAX_M sums of squares.
const NVAL: u32 = (ROWS + 1u) * MAX_M;
const SS: u32 = ROWS * MAX_M;

// The workgroup's sums after gemv_reduce.
var<workgroup> total: array<f32, NVAL>;

// Partial sums of invocation t for outputs n0 .. n0 + ROWS - 1 and input rows m0 .. m0 + mc - 1 (mc <= MAX_M).
fn gemv_accumulate(n0: u32, m0: u32, mc: u32, t: u32, vals: ptr<function, array<f32, NVAL>>) {
  let kv = P.K / VW;
  for (var j = t; j < kv; j += WG) {
    var av: array<V, MAX_M>;
    for (var m = 0u; m < MAX_M; m++) {
      if (m < mc) {
        var a = loadA(m0 + m, j);
        if (NORM) {
          (*vals)[SS + m] += vsum(a * a);
          a = a * NormW[j];
        }
        av[m] = a;
      }
    }
    for (var r = 0u; r < ROWS; r++) {
      let n = n0 + r;
      if (n < P.N) {
        let w = loadW(n, j);
        for (var m = 0u; m < MAX_M; m++) {
          if (m < mc) { (*vals)[r * MAX_M + m] += vsum(w * av[m]); }
        }
      }
    }
  }
}

// The factor NORM applies to the chunk's row m's dot products (1 without NORM); call after gemv_reduce.
fn gemv_row_scale(m: u32) -> f32 {
  if (NORM) { return inverseSqrt(total[SS + m] / f32(P.K) + P.eps); }
  return 1.0;
}

// The workgroup's whole job: for each chunk of input rows, accumulate, reduce, and hand each finished
// output to gemv_store (invocation r·MAX_M + mr finishes output n0 + r of row m0 + mr).
fn gemv_run(wid: vec3<u32>, nwg: vec3<u32>, t: u32) {
  let n0 = (wid.x + wid.y * nwg.x) * ROWS;
  for (var m0 = 0u; m0 < P.M; m0 += MAX_M) {
    let mc = min(MAX_M, P.M - m0);
    var vals = array<f32, NVAL>();
    gemv_accumulate(n0, m0, mc, t, &vals);
    gemv_reduce(t, mc, &vals);
    let mr = t % MAX_M;
    let n = n0 + t / MAX_M;
    if (t < ROWS * MAX_M && mr < mc && n < P.N) { gemv_store(m0 + mr, n, total[t] * gemv_row_scale(mr)); }
  }
}
