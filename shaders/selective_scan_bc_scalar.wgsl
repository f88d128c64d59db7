// B/C loader for the selective-scan shaders, any layout: BC is array<f32>; load_bc4(base, q) returns
// elements base + 4q .. base + 4q + 3, with lanes at or beyond dState set to 0.

alias BcElem = f32;

fn load_bc4(base: u32, q: u32) -> vec4<f32> {
  var v = vec4<f32>(0.0);
  for (var k = 0u; k < 4u; k++) {
    if (4u * q + k < P.dState) { v[k] = BC[base + 4u * q + k]; }
  }
  return v;
}
