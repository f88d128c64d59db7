// Selective state update (decode, one token): one invocation per (b, d) updates its dState-long row of
// the state in place and writes y:
//   dt = softplus?(dt + dtBias); h = h·exp(dt·A) + dt·B·x; y = <h, C> + Dskip·x; y *= silu(z) when hasZ.
// State (B, D, dState); x rows of xRowStride at xOffset; channel params (D, dState + 2) = [A, Dskip, dtBias]; B/C rows of
// bcRowStride per batch entry, B at bOffset + g·dState, C at cOffset + g·dState (g = d / (D / G));
// z rows of zRowStride at zOffset; y (B, D).
// dt comes from DT (B, D) when dtRank is 0. Otherwise it is the dt projection fused in:
// dt(b, d) = sum_r BC[b·bcRowStride + r] · DT[d·dtRank + r], with DT holding the dt_proj weight (D, dtRank)
// (the Mamba block's x_proj output holds the low-rank dt in its first dtRank columns).

override WG: u32 = 64u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> State: array<f32>;
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read> DT: array<f32>;
@group(0) @binding(4) var<storage, read> Channel: array<f32>;
@group(0) @binding(5) var<storage, read> BC: array<f32>;
@group(0) @binding(6) var<storage, read> Z: array<f32>;
@group(0) @binding(7) var<storage, read_write> Y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let wgIndex = wid.x + wid.y * nwg.x;
  let b = wgIndex / P.dBlocks;
  let d = (wgIndex % P.dBlocks) * WG + lid.x;
  if (b >= P.batch || d >= P.dInner) { return; }

  let N = P.dState;
  let chanRow = d * (N + 2u);
  let at = b * P.dInner + d;
  var rawDt = 0.0;
  if (P.dtRank == 0u) {
    rawDt = DT[at];
  } else {
    let rowBase = b * P.bcRowStride;
    for (var r = 0u; r < P.dtRank; r++) { rawDt = fma(BC[rowBase + r], DT[d * P.dtRank + r], rawDt); }
  }
  let dt = scan_delta(rawDt, Channel[chanRow + N + 1u], P.dtSoftplus);
  let x = X[b * P.xRowStride + P.xOffset + d];
  let dx = dt * x;
  let g = d / (P.dInner / P.groups);
  let bBase = b * P.bcRowStride + P.bOffset + g * N;
  let cBase = b * P.bcRowStride + P.cOffset + g * N;
  let stateBase = at * N;
  var y = 0.0;
  for (var n = 0u; n < N; n++) {
    let h = fma(State[stateBase + n], exp(dt * Channel[chanRow + n]), dx * BC[bBase + n]);
    State[stateBase + n] = h;
    y = fma(h, BC[cBase + n], y);
  }
  y = fma(Channel[chanRow + N], x, y);
  if (P.hasZ == 1u) { y = y * scan_silu(Z[b * P.zRowStride + P.zOffset + d]); }
  Y[at] = y;
}
