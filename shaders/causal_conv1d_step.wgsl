// Causal conv1d decode step (one token), fused with the state shift: one invocation per (b, d) reads its
// column of the conv state (B, W - 1, D) (row j = the input W - 1 - j tokens back) and the new input x,
// writes out(b, d) = act(bias(d) + sum_{k < W-1} weight(d, k)·state(k) + weight(d, W-1)·x), then shifts the
// column up one row and stores x in the last row. x rows of xRowStride at xOffset; weight (D, W); out (B, D).

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> Weight: array<f32>;
@group(0) @binding(3) var<storage, read> Bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> State: array<f32>;
@group(0) @binding(5) var<storage, read_write> Out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid.x;
  let D = P.channels;
  if (i >= P.batch * D) { return; }
  let d = i % D;
  let b = i / D;
  let W = P.width;
  let past = W - 1u;
  let x = X[b * P.xRowStride + P.xOffset + d];

  var acc = 0.0;
  if (P.hasBias == 1u) { acc = Bias[d]; }
  for (var k = 0u; k < past; k++) {
    let at = (b * past + k) * D + d;
    let v = State[at];
    acc = fma(Weight[d * W + k], v, acc);
    // Shift as we go: row k - 1 takes row k (row k is read before it is overwritten on the next k).
    if (k > 0u) { State[at - D] = v; }
  }
  acc = fma(Weight[d * W + past], x, acc);
  if (past > 0u) { State[(b * past + past - 1u) * D + d] = x; }
  if (P.activation == 1u) { acc = acc / (1.0 + exp(-acc)); }
  Out[i] = acc;
}
