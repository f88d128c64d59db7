// Arithmetic-rate probe: each invocation runs CHAINS independent fma chains x = fma(x, P.a, P.b) for
// P.iterations steps and writes their sum. a and b come from the uniforms, so no compiler can fold the
// loop. FLOPs = 2 · CHAINS · iterations per invocation. Benchmarks report kernels' FLOP rates against
// what this reaches in the same run: the FP32 FMA rate WGSL code gets from the GPU.
// With a = 1 and b = 1 every chain ends at its start + iterations (exact in f32 below 2^24): the test.

const CHAINS: u32 = 16u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> Out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  var x: array<f32, CHAINS>;
  for (var c = 0u; c < CHAINS; c++) { x[c] = f32(c); }
  for (var it = 0u; it < P.iterations; it++) {
    for (var c = 0u; c < CHAINS; c++) { x[c] = fma(x[c], P.a, P.b); }
  }
  var s = 0.0;
  for (var c = 0u; c < CHAINS; c++) { s += x[c]; }
  if (i < P.n) { Out[i] = s; }
}
