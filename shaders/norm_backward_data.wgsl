// Group norm input gradient. With xhat = (x - mean) * rstd and g = dy * gamma, over each (instance, group):
// dx = rstd * (g - avg(g) - xhat * avg(g * xhat)). One invocation per (instance, group) sums its group, then
// writes its dx: no barriers. The group is visited by one flat loop, and `main4` is the vec4 view for WIDTH a
// multiple of 4, as in norm_forward.wgsl.

override INSTANCES: u32;
override POSITIONS: u32;
override CHANNELS: u32;
override GROUPS: u32;
override WIDTH: u32 = CHANNELS / GROUPS;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> mean: array<f32>;
@group(0) @binding(4) var<storage, read> rstd: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;

@group(0) @binding(0) var<storage, read> x4: array<vec4f>;
@group(0) @binding(1) var<storage, read> dy4: array<vec4f>;
@group(0) @binding(2) var<storage, read> gamma4: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> dx4: array<vec4f>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let k = gid.x + gid.y * groups.x * 64u;
  if (k >= INSTANCES * GROUPS) { return; }
  let channel0 = (k % GROUPS) * WIDTH;
  let first = (k / GROUPS) * POSITIONS * CHANNELS + channel0;
  let count = POSITIONS * WIDTH;
  let skip = CHANNELS - WIDTH;
  let m = mean[k];
  let r = rstd[k];
  var sumG = 0.0;
  var sumGCentred = 0.0;
  for (var j = 0u; j < count; j++) {
    let i = first + j + (j / WIDTH) * skip;
    let g = dy[i] * gamma[channel0 + j % WIDTH];
    sumG += g;
    sumGCentred += g * (x[i] - m);
  }
  // dx = r * g - r * avg(g) - (x - m) * r^3 * avg(g * (x - m)).
  let shift = r * sumG / f32(count);
  let slope = r * r * r * sumGCentred / f32(count);
  for (var j = 0u; j < count; j++) {
    let i = first + j + (j / WIDTH) * skip;
    dx[i] = r * dy[i] * gamma[channel0 + j % WIDTH] - shift - (x[i] - m) * slope;
  }
}

@compute @workgroup_size(64)
fn main4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let k = gid.x + gid.y * groups.x * 64u;
  if (k >= INSTANCES * GROUPS) { return; }
  let width4 = WIDTH / 4u;
  let stride4 = CHANNELS / 4u;
  let channel0 = (k % GROUPS) * width4;
  let first = (k / GROUPS) * POSITIONS * stride4 + channel0;
  let count = POSITIONS * width4;
  let skip = stride4 - width4;
  let m = mean[k];
  let r = rstd[k];
  var sumG = vec4f(0.0);
  var sumGCentred = vec4f(0.0);
  for (var j = 0u; j < count; j++) {
    let i = first + j + (j / width4) * skip;
    let g = dy4[i] * gamma4[channel0 + j % width4];
    sumG += g;
    sumGCentred += g * (x4[i] - m);
  }
  let shift = r * dot(sumG, vec4f(1.0)) / f32(count * 4u);
  let slope = r * r * r * dot(sumGCentred, vec4f(1.0)) / f32(count * 4u);
  for (var j = 0u; j < count; j++) {
    let i = first + j + (j / width4) * skip;
    dx4[i] = r * dy4[i] * gamma4[channel0 + j % width4] - shift - (x4[i] - m) * slope;
  }
}
