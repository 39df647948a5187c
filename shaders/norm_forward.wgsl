// Group norm forward over x [INSTANCES, POSITIONS, CHANNELS] with GROUPS contiguous groups of WIDTH channels.
// One invocation per (instance, group), no shared memory or barriers (slow on SwiftShader). It reads its group
// twice: once for the sums of d = x - shift and d^2, shift being the group's first value, and once to write y.
// Shifting by a value of the group keeps E[d^2] - E[d]^2 free of the cancellation that E[x^2] - mean^2 suffers
// for off-centre inputs, and saves a third pass (about 40% of the kernel on SwiftShader).
// The group's values are visited by one flat loop over j < POSITIONS * WIDTH (a nested loop over positions and
// channels costs twice as much on SwiftShader when WIDTH is small); value j is at first + j + (j / WIDTH) * skip.
// `main4` sees the same bindings as vec4 when WIDTH is a multiple of 4; each entry point uses only its own
// variables, so the shared binding numbers do not clash.

override INSTANCES: u32;
override POSITIONS: u32;
override CHANNELS: u32;
override GROUPS: u32;
override EPS: f32;
override WIDTH: u32 = CHANNELS / GROUPS;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> gamma: array<f32>;
@group(0) @binding(2) var<storage, read> beta: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> mean: array<f32>;
@group(0) @binding(5) var<storage, read_write> rstd: array<f32>;

@group(0) @binding(0) var<storage, read> x4: array<vec4f>;
@group(0) @binding(1) var<storage, read> gamma4: array<vec4f>;
@group(0) @binding(2) var<storage, read> beta4: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> y4: array<vec4f>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let k = gid.x + gid.y * groups.x * 64u;
  if (k >= INSTANCES * GROUPS) { return; }
  let channel0 = (k % GROUPS) * WIDTH;
  let first = (k / GROUPS) * POSITIONS * CHANNELS + channel0;
  let count = POSITIONS * WIDTH;
  let skip = CHANNELS - WIDTH;
  let shift = x[first];
  var sumD = 0.0;
  var sumD2 = 0.0;
  for (var j = 0u; j < count; j++) {
    let d = x[first + j + (j / WIDTH) * skip] - shift;
    sumD += d;
    sumD2 += d * d;
  }
  let meanD = sumD / f32(count);
  let m = shift + meanD;
  // max: rounding can take a zero variance just below 0.
  let r = 1.0 / sqrt(max(sumD2 / f32(count) - meanD * meanD, 0.0) + EPS);
  for (var j = 0u; j < count; j++) {
    let i = first + j + (j / WIDTH) * skip;
    let c = channel0 + j % WIDTH;
    y[i] = (x[i] - m) * r * gamma[c] + beta[c];
  }
  mean[k] = m;
  rstd[k] = r;
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
  let shift = x4[first].x;
  var sumD = vec4f(0.0);
  var sumD2 = vec4f(0.0);
  for (var j = 0u; j < count; j++) {
    let d = x4[first + j + (j / width4) * skip] - shift;
    sumD += d;
    sumD2 += d * d;
  }
  let meanD = dot(sumD, vec4f(1.0)) / f32(count * 4u);
  let m = shift + meanD;
  let r = 1.0 / sqrt(max(dot(sumD2, vec4f(1.0)) / f32(count * 4u) - meanD * meanD, 0.0) + EPS);
  for (var j = 0u; j < count; j++) {
    let i = first + j + (j / width4) * skip;
    let c = channel0 + j % width4;
    y4[i] = (x4[i] - m) * r * gamma4[c] + beta4[c];
  }
  mean[k] = m;
  rstd[k] = r;
}
