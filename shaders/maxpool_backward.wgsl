// Backward of SIZE x SIZE max-pooling, for sizes other than 2 (see maxpool_forward.wgsl): one invocation per window (and 4 channels, as in the forward) writes all of
// its dx entries (dy where the entry was the window's argmax, else zero), so every dx entry is written once with no
// separate clear or atomics. Windows on the last row or column also zero the input rows or columns past the last
// whole window (height % SIZE, width % SIZE), which belong to no window.

override batch: u32;
override height: u32;
override width: u32;
override channels: u32;
override SIZE: u32;

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> argmax: array<u32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

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
  let rows = select(SIZE, height - i * SIZE, i == oh - 1u);
  let cols = select(SIZE, width - j * SIZE, j == ow - 1u);
  for (var c = c0; c < min(c0 + 4u, channels); c++) {
    let first = ((b * height + i * SIZE) * width + j * SIZE) * channels + c;
    let g = dy[pixel * channels + c];
    let at = argmax[pixel * channels + c];
    for (var ky = 0u; ky < rows; ky++) {
      for (var kx = 0u; kx < cols; kx++) {
        let e = first + ky * down + kx * channels;
        dx[e] = select(0.0, g, at == e);
      }
    }
  }
}
