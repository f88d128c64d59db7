// B/C loader for the selective-scan shaders when the layout is 16-byte aligned (dState, bcRowStride,
// bOffset and cOffset multiples of 4): BC is array<vec4<f32>>, one vec4 load per four state slots;
// register lanes beyond dState (STATE_VEC4 is rounded up to a power of two) read 0.

alias BcElem = vec4<f32>;

fn load_bc4(base: u32, q: u32) -> vec4<f32> {
  if (4u * q < P.dState) { return BC[(base >> 2u) + q]; }
  return vec4<f32>(0.0);
}
