// KV cache append: copies L new positions of a (B, Hkv, L, E) strided source (usually the k or v projection
// output, (B, L, Hkv·E)) into the cache (B, Hkv, capacity, E) at positions offset .. offset + L - 1.
// One invocation per (b, h, l, e), linearized as x + y·nx.

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> P: Params;   // B, H, L, E, capacity, offset, sB, sH, sL
@group(0) @binding(1) var<storage, read> Src: array<f32>;
@group(0) @binding(2) var<storage, read_write> Cache: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n = gid.x + gid.y * nwg.x * WG;
  if (n >= P.B * P.H * P.L * P.E) { return; }
  let e = n % P.E;
  let l = (n / P.E) % P.L;
  let h = (n / (P.E * P.L)) % P.H;
  let b = n / (P.E * P.L * P.H);
  Cache[((b * P.H + h) * P.capacity + P.offset + l) * P.E + e] = Src[b * P.sB + h * P.sH + l * P.sL + e];
}
