// Workgroup-memory probe for the tiled matmul (shaders/matmul_tiled.wgsl): the same workgroup (16×16),
// the same tiles (two 16×65 arrays), the same 4×4 register tile and inner loop reading workgroup memory,
// but no global memory: each of P.iterations K-tiles is written from registers (STAGE = 1: four values
// of each tile per invocation, then a barrier, as the kernel's tile loads do) or only fenced (STAGE = 0:
// one barrier, which keeps the compiler from hoisting the reads out of the loop), then its 16 k-steps of
// 16 fmas run. FLOPs = 2 · 256 · 16 · 16 · iterations per workgroup. Against the fma probe and the real
// kernel in the same run, it says how much of the matmul's time the workgroup-memory pattern takes and
// how much the global loads add.

override STAGE: u32 = 1u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> Out: array<f32>;

var<workgroup> tileA: array<array<f32, 65>, 16>;
var<workgroup> tileB: array<array<f32, 65>, 16>;

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = lid.y * 16u + lid.x;
  var acc: array<array<f32, 4>, 4>;
  for (var i = 0u; i < 4u; i++) { for (var j = 0u; j < 4u; j++) { acc[i][j] = 0.0; } }
  // Initial tiles (also what STAGE = 0 reads throughout).
  for (var r = 0u; r < 4u; r++) {
    let idx = t + r * 256u;
    tileA[idx % 16u][idx / 16u] = f32(idx) * P.a;
    tileB[idx / 64u][idx % 64u] = f32(idx) * P.b;
  }
  workgroupBarrier();
  for (var it = 0u; it < P.iterations; it++) {
    if (STAGE == 1u) {
      workgroupBarrier();
      for (var r = 0u; r < 4u; r++) {
        let idx = t + r * 256u;
        tileA[idx % 16u][idx / 16u] = f32(it + idx) * P.a;
        tileB[idx / 64u][idx % 64u] = f32(it + idx) * P.b;
      }
    }
    workgroupBarrier();
    for (var k = 0u; k < 16u; k++) {
      var a: array<f32, 4>;
      var bv: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) { a[i] = tileA[k][lid.y + 16u * i]; }
      for (var j = 0u; j < 4u; j++) { bv[j] = tileB[k][lid.x + 16u * j]; }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) { acc[i][j] = fma(a[i], bv[j], acc[i][j]); }
      }
    }
  }
  var s = 0.0;
  for (var i = 0u; i < 4u; i++) { for (var j = 0u; j < 4u; j++) { s += acc[i][j]; } }
  let g = (wid.x + wid.y * nwg.x) * 256u + t;
  if (g < P.n) { Out[g] = s; }
}
