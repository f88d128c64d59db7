// GLA forget gate in log space: gk[i] = logsigmoid(a[i] + bias[i % width]) / normalizer, with
// logsigmoid(x) = min(x, 0) - log1p(exp(-|x|)) (never exp of a large positive number). One invocation per
// value, linearized as x + y·nx.

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> P: Params;   // n, width, invNormalizer
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> Bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> Out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= P.n) { return; }
  let x = A[i] + Bias[i % P.width];
  let z = exp(-abs(x));
  var l = log(1.0 + z);
  if (z < 1e-4) { l = z - 0.5 * z * z; }
  Out[i] = (min(x, 0.0) - l) * P.invNormalizer;
}
