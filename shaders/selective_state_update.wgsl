// Selective state update (decode, one token): per (b, d) channel, its dState-long row of the state is
// updated in place and y written:
//   dt = softplus?(dt + dtBias); h = h·exp(dt·A) + dt·B·x; y = <h, C> + Dskip·x; y *= silu(z) when hasZ.
// State (B, D, dState); x rows of xRowStride at xOffset; channel params (D, dState + 2) = [A, Dskip, dtBias];
// B/C rows of bcRowStride per batch entry, B at bOffset + g·dState, C at cOffset + g·dState (g = d / (D / G));
// z rows of zRowStride at zOffset; y (B, D).
// dt comes from DT (B, D) when dtRank is 0. Otherwise it is the dt projection fused in:
// dt(b, d) = sum_r BC[b·bcRowStride + r] · DT[d·dtRank + r], with DT holding the dt_proj weight (D, dtRank)
// (the Mamba block's x_proj output holds the low-rank dt in its first dtRank columns).
// Layout: NL invocations (lanes) per channel, WG / NL channels per workgroup (channels linearized over
// B·D as x + y·nx). Lane l takes state entries n = l, l + NL, ... and dt-projection terms r = l, l + NL, ...,
// so a channel's state row and dt_proj row are read contiguously across its lanes; the dt and y partial
// sums are added across the lanes through workgroup memory.

override WG: u32 = 256u;
override NL: u32 = 16u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> State: array<f32>;
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read> DT: array<f32>;
@group(0) @binding(4) var<storage, read> Channel: array<f32>;
@group(0) @binding(5) var<storage, read> BC: array<f32>;
@group(0) @binding(6) var<storage, read> Z: array<f32>;
@group(0) @binding(7) var<storage, read_write> Y: array<f32>;

var<workgroup> red: array<f32, WG>;

// Sum of v over the NL lanes of each channel (every invocation calls it: it holds barriers); the result
// is in red[channel's first invocation] after the call.
fn laneSum(t: u32, lane: u32, v: f32) {
  red[t] = v;
  workgroupBarrier();
  for (var s = NL / 2u; s > 0u; s = s / 2u) {
    if (lane < s) { red[t] += red[t + s]; }
    workgroupBarrier();
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let lane = t % NL;
  let first = t - lane;
  let ch = (wid.x + wid.y * nwg.x) * (WG / NL) + t / NL;
  let valid = ch < P.batch * P.dInner;
  let b = select(0u, ch / P.dInner, valid);
  let d = select(0u, ch % P.dInner, valid);

  let N = P.dState;
  let chanRow = d * (N + 2u);
  let at = b * P.dInner + d;
  var rawDt = 0.0;
  if (P.dtRank == 0u) {
    if (valid) { rawDt = DT[at]; }
  } else {
    var part = 0.0;
    if (valid) {
      let rowBase = b * P.bcRowStride;
      for (var r = lane; r < P.dtRank; r += NL) { part = fma(BC[rowBase + r], DT[d * P.dtRank + r], part); }
    }
    laneSum(t, lane, part);
    rawDt = red[first];
    workgroupBarrier();   // every lane has read red before it is reused
  }
  var yPart = 0.0;
  var x = 0.0;
  if (valid) {
    let dt = scan_delta(rawDt, Channel[chanRow + N + 1u], P.dtSoftplus);
    x = X[b * P.xRowStride + P.xOffset + d];
    let dx = dt * x;
    let g = d / (P.dInner / P.groups);
    let bBase = b * P.bcRowStride + P.bOffset + g * N;
    let cBase = b * P.bcRowStride + P.cOffset + g * N;
    let stateBase = at * N;
    for (var n = lane; n < N; n += NL) {
      let h = fma(State[stateBase + n], exp(dt * Channel[chanRow + n]), dx * BC[bBase + n]);
      State[stateBase + n] = h;
      yPart = fma(h, BC[cBase + n], yPart);
    }
  }
  laneSum(t, lane, yPart);
  if (valid && lane == 0u) {
    var y = fma(Channel[chanRow + N], x, red[first]);
    if (P.hasZ == 1u) { y = y * scan_silu(Z[b * P.zRowStride + P.zOffset + d]); }
    Y[at] = y;
  }
}
