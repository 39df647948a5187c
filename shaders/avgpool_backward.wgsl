// Backward of average pooling (see avgpool_forward.wgsl): one invocation per output (per 4 channels in `main4`,
// CHANNELS a multiple of 4) writes dy / (WINDOW_H * WINDOW_W) to every input of its window, so every dx element is
// written once with no separate clear. Windows on the last row or column also write 0 to the rows and columns past
// the last whole window, which belong to no window. Per output rather than per input: one index decomposition
// serves a whole window (integer division is slow on SwiftShader; 2 to 4 times faster there). Each entry point uses
// only its own variables, so the shared binding numbers do not clash.

override BATCH: u32;
override HEIGHT: u32;
override WIDTH: u32;
override CHANNELS: u32;
override WINDOW_H: u32;
override WINDOW_W: u32;

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(0) var<storage, read> dy4: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
@group(0) @binding(1) var<storage, read_write> dx4: array<vec4f>;

// Output pixel `pixel`'s window: its first input pixel (x) and how many rows (y) and columns (z) it writes,
// which reach the image's edge for the last row and column of windows.
fn window(pixel: u32) -> vec3u {
  let ow = WIDTH / WINDOW_W;
  let oh = HEIGHT / WINDOW_H;
  let j = pixel % ow;
  let bi = pixel / ow;
  let i = bi % oh;
  let b = bi / oh;
  let rows = select(WINDOW_H, HEIGHT - i * WINDOW_H, i == oh - 1u);
  let cols = select(WINDOW_W, WIDTH - j * WINDOW_W, j == ow - 1u);
  return vec3u((b * HEIGHT + i * WINDOW_H) * WIDTH + j * WINDOW_W, rows, cols);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let outputs = BATCH * (HEIGHT / WINDOW_H) * (WIDTH / WINDOW_W) * CHANNELS;
  let scale = 1.0 / f32(WINDOW_H * WINDOW_W);
  for (var o = gid.x; o < outputs; o += groups.x * 64u) {
    let pixel = o / CHANNELS;
    let w = window(pixel);
    let first = w.x * CHANNELS + (o - pixel * CHANNELS);
    let g = dy[o] * scale;
    for (var ky = 0u; ky < w.y; ky++) {
      for (var kx = 0u; kx < w.z; kx++) {
        dx[first + (ky * WIDTH + kx) * CHANNELS] = select(0.0, g, ky < WINDOW_H && kx < WINDOW_W);
      }
    }
  }
}

@compute @workgroup_size(64)
fn main4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let quads = CHANNELS / 4u;
  let outputs = BATCH * (HEIGHT / WINDOW_H) * (WIDTH / WINDOW_W) * quads;
  let scale = 1.0 / f32(WINDOW_H * WINDOW_W);
  for (var o = gid.x; o < outputs; o += groups.x * 64u) {
    let pixel = o / quads;
    let w = window(pixel);
    let first = w.x * quads + (o - pixel * quads);
    let g = dy4[o] * scale;
    for (var ky = 0u; ky < w.y; ky++) {
      for (var kx = 0u; kx < w.z; kx++) {
        dx4[first + (ky * WIDTH + kx) * quads] = select(vec4f(0.0), g, ky < WINDOW_H && kx < WINDOW_W);
      }
    }
  }
}
