// Attention decode, after the fused q|k|v|gate projection: RoPE and the KV-cache append in one dispatch.
// Src (B, (H + 2·Hkv)·E + G) holds one token per sequence as [q (H·E) | k (Hkv·E) | v (Hkv·E) | gate (G)];
// at position p = P.offset (the tokens already cached):
//   Q (B, H·E)            = q rotated (Llama rotate-half, as rope.wgsl);
//   K (B, Hkv, cap, E)[p] = k rotated;   V (B, Hkv, cap, E)[p] = v;   Gate (B, G) = gate.
// One invocation per rotation pair of q and k, per value of v and of the gate, linearized as x + y·nx.
// sinCos and ropeAngle: rope_common.wgsl (the host prepends it).

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> P: Params;   // B, H, Hkv, E, G, capacity, offset, log2Base
@group(0) @binding(1) var<storage, read> Src: array<f32>;
@group(0) @binding(2) var<storage, read_write> Q: array<f32>;
@group(0) @binding(3) var<storage, read_write> K: array<f32>;
@group(0) @binding(4) var<storage, read_write> V: array<f32>;
@group(0) @binding(5) var<storage, read_write> Gate: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let E = P.E;
  let half = E / 2u;
  let qPairs = P.H * half;
  let kPairs = P.Hkv * half;
  let vals = P.Hkv * E;
  let perToken = qPairs + kPairs + vals + P.G;
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= P.B * perToken) { return; }
  let b = i / perToken;
  var j = i % perToken;
  let width = (P.H + 2u * P.Hkv) * E + P.G;
  let row = b * width;
  if (j < qPairs + kPairs) {
    let isK = j >= qPairs;
    if (isK) { j -= qPairs; }
    let h = j / half;
    let e = j % half;
    var at = row + h * E + e;
    if (isK) { at += P.H * E; }
    let sc = sinCos(ropeAngle(P.offset, e, E, P.log2Base));
    let x1 = Src[at];
    let x2 = Src[at + half];
    let y1 = x1 * sc.y - x2 * sc.x;
    let y2 = x2 * sc.y + x1 * sc.x;
    if (isK) {
      let dst = ((b * P.Hkv + h) * P.capacity + P.offset) * E + e;
      K[dst] = y1;
      K[dst + half] = y2;
    } else {
      let dst = (b * P.H + h) * E + e;
      Q[dst] = y1;
      Q[dst + half] = y2;
    }
    return;
  }
  j -= qPairs + kPairs;
  if (j < vals) {
    let h = j / E;
    let e = j % E;
    V[((b * P.Hkv + h) * P.capacity + P.offset) * E + e] = Src[row + (P.H + P.Hkv) * E + j];
    return;
  }
  j -= vals;
  Gate[b * P.G + j] = Src[row + (P.H + 2u * P.Hkv) * E + j];
}
