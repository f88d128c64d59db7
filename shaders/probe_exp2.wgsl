// Special-function-rate probe: each invocation runs 16 independent chains x = exp2(x · P.a) · P.b (four
// vec4 registers, no arrays) for P.iterations steps and writes their sum: one exp2 per chain step, a and b
// from the uniforms so nothing folds. Benchmarks compare kernels heavy in exp (the selective scan's
// decays) with the exp2 rate this reaches in the same run.
// With a = 0 and b = 1 every chain step yields exp2(0) = 1, so each output is 16: the test.

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> Out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  let a = vec4<f32>(P.a);
  let b = vec4<f32>(P.b);
  var x0 = vec4<f32>(0.0, 1.0, 2.0, 3.0) * 0.001;
  var x1 = vec4<f32>(4.0, 5.0, 6.0, 7.0) * 0.001;
  var x2 = vec4<f32>(8.0, 9.0, 10.0, 11.0) * 0.001;
  var x3 = vec4<f32>(12.0, 13.0, 14.0, 15.0) * 0.001;
  for (var it = 0u; it < P.iterations; it++) {
    x0 = exp2(x0 * a) * b; x1 = exp2(x1 * a) * b; x2 = exp2(x2 * a) * b; x3 = exp2(x3 * a) * b;
  }
  let s = (x0 + x1) + (x2 + x3);
  if (i < P.n) { Out[i] = (s.x + s.y) + (s.z + s.w); }
}
