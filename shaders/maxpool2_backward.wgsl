// Backward of 2x2 max-pooling: one invocation per input element, so every dx entry is written (zero where it
// was not its window's argmax) and no separate clear or atomics are needed.

override batch: u32;
override height: u32;
override width: u32;
override channels: u32;

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> argmax: array<u32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let oh = height / 2u;
  let ow = width / 2u;
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= batch * height * width * channels) { return; }
  let c = i % channels;
  let pixel = i / channels;
  let w = pixel % width;
  let bh = pixel / width;
  let h = bh % height;
  let b = bh / height;
  var g = 0.0;
  // Odd last rows and columns belong to no window.
  if (h / 2u < oh && w / 2u < ow) {
    let o = ((b * oh + h / 2u) * ow + w / 2u) * channels + c;
    if (argmax[o] == i) { g = dy[o]; }
  }
  dx[i] = g;
}
