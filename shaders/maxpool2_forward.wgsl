// 2x2 stride-2 max-pooling over NHWC, one output per invocation; output floor(height / 2) x floor(width / 2).
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
  let o = gid.x + gid.y * groups.x * 64u;
  if (o >= batch * oh * ow * channels) { return; }
  let c = o % channels;
  let pixel = o / channels;
  let j = pixel % ow;
  let bi = pixel / ow;
  let i = bi % oh;
  let b = bi / oh;
  let first = ((b * height + i * 2u) * width + j * 2u) * channels + c;
  let down = width * channels;
  var best = first;
  var m = x[first];
  for (var k = 1u; k < 4u; k++) {
    let at = first + select(0u, down, k >= 2u) + select(0u, channels, k % 2u == 1u);
    let v = x[at];
    if (v > m) {
      m = v;
      best = at;
    }
  }
  y[o] = m;
  argmax[o] = best;
}
