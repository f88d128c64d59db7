// Causal depthwise conv1d over a sequence: one invocation per (b, t, d) (d fastest):
//   out(b, t, d) = bias(d) + sum_k weight(d, k) · x(b, t - (W - 1) + k, d),   then SiLU when activation = 1.
// x rows of xRowStride floats per token at xOffset (so x can be a column slice of a wider tensor);
// weight (D, W); bias (D) when hasBias; out (B, L, D). Positions before the sequence read the conv state
// (B, W - 1, D) (row j = the input W - 1 - j tokens back) when hasInitState, zeros otherwise.

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> Weight: array<f32>;
@group(0) @binding(3) var<storage, read> Bias: array<f32>;
@group(0) @binding(4) var<storage, read> InitState: array<f32>;
@group(0) @binding(5) var<storage, read_write> Out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid.x;
  let D = P.channels;
  if (i >= P.batch * P.seqLen * D) { return; }
  let d = i % D;
  let row = i / D;                 // b * seqLen + t
  let t = row % P.seqLen;
  let b = row / P.seqLen;
  let W = P.width;
  let past = W - 1u;

  var acc = 0.0;
  if (P.hasBias == 1u) { acc = Bias[d]; }
  for (var k = 0u; k < W; k++) {
    // Input position t + k - (W - 1), kept unsigned: it is in the sequence when t + k >= W - 1.
    var v = 0.0;
    if (t + k >= past) {
      v = X[(row + k - past) * P.xRowStride + P.xOffset + d];
    } else if (P.hasInitState == 1u) {
      v = InitState[(b * past + t + k) * D + d];
    }
    acc = fma(Weight[d * W + k], v, acc);
  }
  if (P.activation == 1u) { acc = acc / (1.0 + exp(-acc)); }
  Out[i] = acc;
}
