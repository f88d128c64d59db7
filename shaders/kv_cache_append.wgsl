// KV cache append: copies L new positions of a (B, Hkv, L, E) strided source (usually the k or v projection
// output, (B, L, Hkv·E)) into the cache (B, Hkv, capacity, E) at positions offset .. offset + L - 1.
// One invocation per (b, h, l, element pair e, e + 1) (E is even), linearized as x + y·nx.
// The host prepends the cache's binding and its writer cache_put(i, v0, v1) (storage-read.ts halfStoreWgsl:
// two floats, or one u32 of two halves for an fp16 cache).

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> P: Params;   // B, H, L, E, capacity, offset, sB, sH, sL
@group(0) @binding(1) var<storage, read> Src: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n = gid.x + gid.y * nwg.x * WG;
  let pairs = P.E / 2u;
  if (n >= P.B * P.H * P.L * pairs) { return; }
  let e = 2u * (n % pairs);
  let l = (n / pairs) % P.L;
  let h = (n / (pairs * P.L)) % P.H;
  let b = n / (pairs * P.L * P.H);
  let src = b * P.sB + h * P.sH + l * P.sL + e;
  cache_put(((b * P.H + h) * P.capacity + P.offset + l) * P.E + e, Src[src], Src[src + 1u]);
}
