// Prepares the look-back buffer of selective_scan_lookback.wgsl before each scan: every value slot
// (the first `slots` u32) to NOT_READY (0xFFFFFFFF), the ticket counter after them to 0.
// Four u32 per invocation. The host prepends the ResetParams struct (slots).

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> P: ResetParams;
@group(0) @binding(1) var<storage, read_write> LB: array<u32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let first = ((wid.x + wid.y * nwg.x) * WG + lid) * 4u;
  for (var k = 0u; k < 4u; k++) {
    let i = first + k;
    if (i < P.slots) {
      LB[i] = 0xFFFFFFFFu;
    } else if (i == P.slots) {
      LB[i] = 0u;
    }
  }
}
