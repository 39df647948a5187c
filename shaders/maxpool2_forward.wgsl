// 2x2 stride-2 max-pooling over NHWC; output floor(height / 2) x floor(width / 2). One invocation per window and
// 4 channels, so the index arithmetic (integer division is slow on SwiftShader) is shared by 4 outputs.
// argmax is the index into x of the maximum. Ties go to the first maximum in window order (0,0), (0,1), (1,0),
// (1,1) by strict '>', as in shared/reference/maxpool.ts: after relu whole windows are often exactly 0.

override batch: u32;
override height: u32;
override width: u32;
override channels: u32;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> argmax: array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let oh = height / 2u;
  let ow = width / 2u;
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
    let o = pixel * channels + c;
    let first = ((b * height + i * 2u) * width + j * 2u) * channels + c;
    var best = first;
    var m = x[first];
    let right = x[first + channels];
    if (right > m) {
      m = right;
      best = first + channels;
    }
    let below = x[first + down];
    if (below > m) {
      m = below;
      best = first + down;
    }
    let diagonal = x[first + down + channels];
    if (diagonal > m) {
      m = diagonal;
      best = first + down + channels;
    }
    y[o] = m;
    argmax[o] = best;
  }
}
