// Average pooling over NHWC, WINDOW_H x WINDOW_W windows at the same stride (global pooling: the whole image);
// output floor(HEIGHT / WINDOW_H) x floor(WIDTH / WINDOW_W). One invocation per output (per 4 channels in `main4`,
// CHANNELS a multiple of 4) sums its window in registers. Each entry point uses only its own variables, so the
// shared binding numbers do not clash.

override BATCH: u32;
override HEIGHT: u32;
override WIDTH: u32;
override CHANNELS: u32;
override WINDOW_H: u32;
override WINDOW_W: u32;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(0) var<storage, read> x4: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(1) var<storage, read_write> y4: array<vec4f>;

// The first input of output pixel `pixel`'s window, in pixels (times the channel count for an index).
fn windowStart(pixel: u32) -> u32 {
  let ow = WIDTH / WINDOW_W;
  let oh = HEIGHT / WINDOW_H;
  let j = pixel % ow;
  let bi = pixel / ow;
  let i = bi % oh;
  let b = bi / oh;
  return (b * HEIGHT + i * WINDOW_H) * WIDTH + j * WINDOW_W;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let outputs = BATCH * (HEIGHT / WINDOW_H) * (WIDTH / WINDOW_W) * CHANNELS;
  let scale = 1.0 / f32(WINDOW_H * WINDOW_W);
  for (var o = gid.x; o < outputs; o += groups.x * 64u) {
    let pixel = o / CHANNELS;
    let first = windowStart(pixel) * CHANNELS + (o - pixel * CHANNELS);
    var sum = 0.0;
    for (var ky = 0u; ky < WINDOW_H; ky++) {
      for (var kx = 0u; kx < WINDOW_W; kx++) {
        sum += x[first + (ky * WIDTH + kx) * CHANNELS];
      }
    }
    y[o] = sum * scale;
  }
}

@compute @workgroup_size(64)
fn main4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let quads = CHANNELS / 4u;
  let outputs = BATCH * (HEIGHT / WINDOW_H) * (WIDTH / WINDOW_W) * quads;
  let scale = 1.0 / f32(WINDOW_H * WINDOW_W);
  for (var o = gid.x; o < outputs; o += groups.x * 64u) {
    let pixel = o / quads;
    let first = windowStart(pixel) * quads + (o - pixel * quads);
    var sum = vec4f(0.0);
    for (var ky = 0u; ky < WINDOW_H; ky++) {
      for (var kx = 0u; kx < WINDOW_W; kx++) {
        sum += x4[first + (ky * WIDTH + kx) * quads];
      }
    }
    y4[o] = sum * scale;
  }
}
