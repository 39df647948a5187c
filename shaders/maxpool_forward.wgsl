// SIZE x SIZE stride-SIZE max-pooling over NHWC, for sizes other than 2 (maxpool2_forward.wgsl, straight-line
// code, runs twice as fast on SwiftShader as these loops); output floor(height / SIZE) x floor(width / SIZE).
// One invocation per window and 4 channels, so the index arithmetic (integer division is slow on SwiftShader) is
// shared by 4 outputs. argmax is the index into x of the maximum. Ties go to the first maximum in row-major window order by
// strict '>', as in shared/reference/maxpool.ts: after relu whole windows are often exactly 0.

override batch: u32;
override height: u32;
override width: u32;
override channels: u32;
override SIZE: u32;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> argmax: array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let oh = height / SIZE;
  let ow = width / SIZE;
  let q = gid.x + gid.y * groups.x * 64u;
  let cGroups = (channels + 3u) / 4u;
  if (q >= batch * oh * ow * cGroups) { return; }
  let c0 = (q % cGroups) * 4u;
  let pixel = q / cGroups;
  let j = pixel % ow;
  let bi = pixel / ow;
  let i = bi % oh;
  let b = bi / oh;
  let down = width * channels;
  for (var c = c0; c < min(c0 + 4u, channels); c++) {
    let first = ((b * height + i * SIZE) * width + j * SIZE) * channels + c;
    var best = first;
    var m = x[first];
    for (var ky = 0u; ky < SIZE; ky++) {
      for (var kx = 0u; kx < SIZE; kx++) {
        let at = first + ky * down + kx * channels;
        let v = x[at];
        if (v > m) {
          m = v;
          best = at;
        }
      }
    }
    y[pixel * channels + c] = m;
    argmax[pixel * channels + c] = best;
  }
}
