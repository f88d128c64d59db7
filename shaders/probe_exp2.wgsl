// Special-function-rate probe: each invocation runs CHAINS independent chains x = exp2(x · P.a) · P.b
// for P.iterations steps and writes their sum (one exp2 per chain step; a and b from the uniforms so
// nothing folds). Benchmarks compare kernels heavy in exp (the selective scan's decays) with the exp2
// rate this reaches in the same run.
// With a = 0 and b = 1 every chain step yields exp2(0) = 1, so each output is CHAINS: the test.

const CHAINS: u32 = 16u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> Out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  var x: array<f32, CHAINS>;
  for (var c = 0u; c < CHAINS; c++) { x[c] = f32(c) * 0.001; }
  for (var it = 0u; it < P.iterations; it++) {
    for (var c = 0u; c < CHAINS; c++) { x[c] = exp2(x[c] * P.a) * P.b; }
  }
  var s = 0.0;
  for (var c = 0u; c < CHAINS; c++) { s += x[c]; }
  if (i < P.n) { Out[i] = s; }
}
