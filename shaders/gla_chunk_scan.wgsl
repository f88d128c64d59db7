// Chunked GLA, pass 2 of 3: carries the state across chunks. One invocation per (b, h, i, j) state entry:
//   for each chunk n: Hbuf[n] <- state entering chunk n;  state <- exp(b_last,n[i]) · state + D_n[i, j]
// (D_n was in Hbuf[n]; b_last,n is the chunk's total log decay from Bcum). State (B, H, K, V) is read as
// the initial state when useInit = 1 (else zeros) and overwritten with the final state.

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> P: Params;   // B, T, H, K, V, N, useInit, scale, C
@group(0) @binding(1) var<storage, read> Bcum: array<f32>;
@group(0) @binding(2) var<storage, read_write> Hbuf: array<f32>;
@group(0) @binding(3) var<storage, read_write> State: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.x + gid.y * nwg.x * WG;
  let KV = P.K * P.V;
  if (idx >= P.B * P.H * KV) { return; }
  let bh = idx / KV;
  let ij = idx % KV;
  let i = ij / P.V;
  let b = bh / P.H;
  let h = bh % P.H;
  var st = 0.0;
  if (P.useInit == 1u) { st = State[idx]; }
  for (var n = 0u; n < P.N; n++) {
    let at = (bh * P.N + n) * KV + ij;
    let d = Hbuf[at];
    Hbuf[at] = st;
    let tLast = min((n + 1u) * P.C, P.T) - 1u;
    st = fma(exp(Bcum[((b * P.T + tLast) * P.H + h) * P.K + i]), st, d);
  }
  State[idx] = st;
}
