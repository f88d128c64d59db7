// Arithmetic-rate probe: each invocation runs 16 independent fma chains x = fma(x, P.a, P.b) (four vec4
// registers, no arrays, four rounds per loop trip) for P.iterations steps and writes their sum. a and b
// come from the uniforms, so no compiler can fold the loop. FLOPs = 2 · 16 · iterations per invocation.
// Benchmarks report kernels' FLOP rates against what this reaches in the same run: the FP32 fma rate
// WGSL code gets from the GPU.
// With a = 1 and b = 1 every chain ends at its start + iterations (exact in f32 below 2^24): the test.

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> Out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  let a = vec4<f32>(P.a);
  let b = vec4<f32>(P.b);
  var x0 = vec4<f32>(0.0, 1.0, 2.0, 3.0);
  var x1 = vec4<f32>(4.0, 5.0, 6.0, 7.0);
  var x2 = vec4<f32>(8.0, 9.0, 10.0, 11.0);
  var x3 = vec4<f32>(12.0, 13.0, 14.0, 15.0);
  for (var it = 0u; it < P.iterations / 4u; it++) {
    x0 = fma(x0, a, b); x1 = fma(x1, a, b); x2 = fma(x2, a, b); x3 = fma(x3, a, b);
    x0 = fma(x0, a, b); x1 = fma(x1, a, b); x2 = fma(x2, a, b); x3 = fma(x3, a, b);
    x0 = fma(x0, a, b); x1 = fma(x1, a, b); x2 = fma(x2, a, b); x3 = fma(x3, a, b);
    x0 = fma(x0, a, b); x1 = fma(x1, a, b); x2 = fma(x2, a, b); x3 = fma(x3, a, b);
  }
  for (var it = 0u; it < P.iterations % 4u; it++) {
    x0 = fma(x0, a, b); x1 = fma(x1, a, b); x2 = fma(x2, a, b); x3 = fma(x3, a, b);
  }
  let s = (x0 + x1) + (x2 + x3);
  if (i < P.n) { Out[i] = (s.x + s.y) + (s.z + s.w); }
}
