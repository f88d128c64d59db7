// Embedding lookup: out[t, :] = table[ids[t], :]. One invocation per output value; ids out of range
// write zeros (the host validates ids before upload; this keeps a bad id from reading out of bounds).
// The table (binding 2) and its reader load_table(i) -> f32 (float32 or fp16 storage) are prepended by the
// host (src/kernels/weight-read.ts).

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> P: Params;   // tokens, D, vocab
@group(0) @binding(1) var<storage, read> ids: array<u32>;
@group(0) @binding(3) var<storage, read_write> O: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= P.tokens * P.D) { return; }
  let t = i / P.D;
  let d = i % P.D;
  let id = ids[t];
  if (id >= P.vocab) { O[i] = 0.0; return; }
  O[i] = load_table(id * P.D + d);
}
