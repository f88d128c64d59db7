// gemv_reduce without subgroup operations: every invocation's NVAL partial sums go to workgroup memory and
// are added pairwise in log2(WG) steps (WG is a power of two). Ends with a barrier; `total` then holds the sums.

var<workgroup> red: array<array<f32, NVAL>, WG>;

// mc: rows in the chunk (unused here: every value is added).
fn gemv_reduce(t: u32, mc: u32, vals: ptr<function, array<f32, NVAL>>) {
  red[t] = *vals;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride / 2u) {
    if (t < stride) {
      for (var i = 0u; i < NVAL; i++) { red[t][i] += red[t + stride][i]; }
    }
    workgroupBarrier();
  }
  for (var i = t; i < NVAL; i += WG) { total[i] = red[0][i]; }
  workgroupBarrier();
}
