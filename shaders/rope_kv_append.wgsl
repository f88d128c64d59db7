// Attention decode, after the fused q|k|v|gate projection: RoPE and the KV-cache append in one dispatch.
// Src (B, (H + 2·Hkv)·E + G) holds one token per sequence as [q (H·E) | k (Hkv·E) | v (Hkv·E) | gate (G)];
// at position p = P.offset (the tokens already cached):
//   Q (B, H·E)            = q rotated (Llama rotate-half, as rope.wgsl);
//   K (B, Hkv, cap, E)[p] = k rotated;   V (B, Hkv, cap, E)[p] = v;   Gate (B, G) = gate.
// One invocation per rotation pair (e, e + E/2) of q, per adjacent element pair (2j, 2j + 1) of k (each
// element rotated with its own partner, so that a pair of the cache is written at once) and of v, and per
// value of the gate, linearized as x + y·nx.
// Prepended by the host: sinCos and ropeAngle (rope_common.wgsl), and the cache's bindings K (3) and V (4)
// with their writers k_put / v_put (storage-read.ts halfStoreWgsl: float32 or fp16 halves).

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> P: Params;   // B, H, Hkv, E, G, capacity, offset, log2Base
@group(0) @binding(1) var<storage, read> Src: array<f32>;
@group(0) @binding(2) var<storage, read_write> Q: array<f32>;
@group(0) @binding(5) var<storage, read_write> Gate: array<f32>;

// Element i of a rotated head whose first element is Src[at]: rotate-half with the partner i ± E/2.
fn rotated(at: u32, i: u32) -> f32 {
  let half = P.E / 2u;
  let e = i % half;
  let sc = sinCos(ropeAngle(P.offset, e, P.E, P.log2Base));
  if (i < half) { return Src[at + i] * sc.y - Src[at + i + half] * sc.x; }
  return Src[at + i] * sc.y + Src[at + e] * sc.x;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let E = P.E;
  let half = E / 2u;
  let qPairs = P.H * half;
  let kvPairs = P.Hkv * half;
  let perToken = qPairs + 2u * kvPairs + P.G;
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= P.B * perToken) { return; }
  let b = i / perToken;
  var j = i % perToken;
  let width = (P.H + 2u * P.Hkv) * E + P.G;
  let row = b * width;
  if (j < qPairs) {
    let h = j / half;
    let e = j % half;
    let at = row + h * E + e;
    let sc = sinCos(ropeAngle(P.offset, e, E, P.log2Base));
    let x1 = Src[at];
    let x2 = Src[at + half];
    let dst = (b * P.H + h) * E + e;
    Q[dst] = x1 * sc.y - x2 * sc.x;
    Q[dst + half] = x2 * sc.y + x1 * sc.x;
    return;
  }
  j -= qPairs;
  if (j < 2u * kvPairs) {
    let isV = j >= kvPairs;
    if (isV) { j -= kvPairs; }
    let h = j / half;
    let e = 2u * (j % half);
    let dst = ((b * P.Hkv + h) * P.capacity + P.offset) * E + e;
    if (isV) {
      let at = row + (P.H + P.Hkv) * E + h * E + e;
      v_put(dst, Src[at], Src[at + 1u]);
    } else {
      let at = row + P.H * E + h * E;
      k_put(dst, rotated(at, e), rotated(at, e + 1u));
    }
    return;
  }
  j -= 2u * kvPairs;
  Gate[b * P.G + j] = Src[row + (P.H + 2u * P.Hkv) * E + j];
}
