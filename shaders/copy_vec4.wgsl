// Bandwidth probe: copies n4 vec4<f32> values (16 bytes each), src -> dst. Each workgroup moves tiles of
// PER·WG vec4: the PER loads of an invocation (WG apart, so every load instruction of a subgroup is
// contiguous) are all issued before its PER stores, keeping several loads in flight per invocation.
// Tiles are walked grid-stride (tile += number of workgroups), so a grid smaller than the copy works too.
// Workgroups index as x + y·nx so large copies exceed 65535 workgroups.

override WG: u32 = 256u;
override PER: u32 = 4u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> Src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> Dst: array<vec4<f32>>;

const MAX_PER: u32 = 16u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let groups = nwg.x * nwg.y;
  let tile = PER * WG;
  for (var base = (wid.x + wid.y * nwg.x) * tile; base < P.n4; base += groups * tile) {
    var v: array<vec4<f32>, MAX_PER>;
    for (var k = 0u; k < PER; k++) {
      let i = base + k * WG + lid;
      if (i < P.n4) { v[k] = Src[i]; }
    }
    for (var k = 0u; k < PER; k++) {
      let i = base + k * WG + lid;
      if (i < P.n4) { Dst[i] = v[k]; }
    }
  }
}
