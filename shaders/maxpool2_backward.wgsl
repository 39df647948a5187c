// Backward of 2x2 max-pooling: one invocation per window (and 4 channels, as in the forward) writes all four of its dx entries (dy where the entry
// was the window's argmax, else zero), so every dx entry is written once with no separate clear or atomics.
// Windows on the last row or column also zero the odd input row or column that belongs to no window.

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
  let oddColumn = j == ow - 1u && width % 2u == 1u;
  let oddRow = i == oh - 1u && height % 2u == 1u;
  for (var c = c0; c < min(c0 + 4u, channels); c++) {
    let o = pixel * channels + c;
    let first = ((b * height + i * 2u) * width + j * 2u) * channels + c;
    let g = dy[o];
    let at = argmax[o];
    dx[first] = select(0.0, g, at == first);
    dx[first + channels] = select(0.0, g, at == first + channels);
    dx[first + down] = select(0.0, g, at == first + down);
    dx[first + down + channels] = select(0.0, g, at == first + down + channels);
    if (oddColumn) {
      dx[first + 2u * channels] = 0.0;
      dx[first + down + 2u * channels] = 0.0;
    }
    if (oddRow) {
      dx[first + 2u * down] = 0.0;
      dx[first + 2u * down + channels] = 0.0;
    }
    if (oddColumn && oddRow) {
      dx[first + 2u * down + 2u * channels] = 0.0;
    }
  }
}
