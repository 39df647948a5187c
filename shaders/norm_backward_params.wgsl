// Group norm parameter gradients, first pass: for each channel and chunk of CHUNK rows (a row is one (instance,
// position)), sums dy * xhat into outGamma[chunk * CHANNELS + channel] and dy into outBeta. With CHUNK >= all rows
// these are dgamma and dbeta themselves; otherwise norm_backward_params_total.wgsl sums the chunks. Neighbouring
// invocations read neighbouring channels, and no barrier is needed. `main4` takes 4 channels of one group at once
// (WIDTH a multiple of 4).
// Rows go instance by instance so that mean and rstd are read once per instance. With POSITIONS 1 (layer norm)
// every row is an instance, and a flat loop is twice as fast on SwiftShader as the nested one.

override INSTANCES: u32;
override POSITIONS: u32;
override CHANNELS: u32;
override GROUPS: u32;
override CHUNK: u32;
override WIDTH: u32 = CHANNELS / GROUPS;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> mean: array<f32>;
@group(0) @binding(3) var<storage, read> rstd: array<f32>;
@group(0) @binding(4) var<storage, read_write> outGamma: array<f32>;
@group(0) @binding(5) var<storage, read_write> outBeta: array<f32>;

@group(0) @binding(0) var<storage, read> x4: array<vec4f>;
@group(0) @binding(1) var<storage, read> dy4: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> outGamma4: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> outBeta4: array<vec4f>;

/** Rows first..last-1 of chunk `i / columns`: its first row and one past its last. */
fn chunkRows(i: u32, columns: u32) -> vec2u {
  let first = (i / columns) * CHUNK;
  return vec2u(first, min(first + CHUNK, INSTANCES * POSITIONS));
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 64u;
  let chunks = (INSTANCES * POSITIONS + CHUNK - 1u) / CHUNK;
  if (i >= chunks * CHANNELS) { return; }
  let c = i % CHANNELS;
  let rows = chunkRows(i, CHANNELS);
  var sumDy = 0.0;
  var sumDyXhat = 0.0;
  if (POSITIONS == 1u) {
    for (var row = rows.x; row < rows.y; row++) {
      let k = row * GROUPS + c / WIDTH;
      let d = dy[row * CHANNELS + c];
      sumDy += d;
      sumDyXhat += d * (x[row * CHANNELS + c] - mean[k]) * rstd[k];
    }
  } else {
    var k = (rows.x / POSITIONS) * GROUPS + c / WIDTH;
    var row = rows.x;
    while (row < rows.y) {
      let end = min((row / POSITIONS + 1u) * POSITIONS, rows.y);
      let m = mean[k];
      var sumDyCentred = 0.0;
      for (; row < end; row++) {
        let d = dy[row * CHANNELS + c];
        sumDy += d;
        sumDyCentred += d * (x[row * CHANNELS + c] - m);
      }
      sumDyXhat += sumDyCentred * rstd[k];
      k += GROUPS;
    }
  }
  outGamma[i] = sumDyXhat;
  outBeta[i] = sumDy;
}

@compute @workgroup_size(64)
fn main4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 64u;
  let chunks = (INSTANCES * POSITIONS + CHUNK - 1u) / CHUNK;
  let stride4 = CHANNELS / 4u;
  if (i >= chunks * stride4) { return; }
  let c = i % stride4;
  let rows = chunkRows(i, stride4);
  var sumDy = vec4f(0.0);
  var sumDyXhat = vec4f(0.0);
  if (POSITIONS == 1u) {
    for (var row = rows.x; row < rows.y; row++) {
      let k = row * GROUPS + c * 4u / WIDTH;
      let d = dy4[row * stride4 + c];
      sumDy += d;
      sumDyXhat += d * (x4[row * stride4 + c] - mean[k]) * rstd[k];
    }
  } else {
    var k = (rows.x / POSITIONS) * GROUPS + c * 4u / WIDTH;
    var row = rows.x;
    while (row < rows.y) {
      let end = min((row / POSITIONS + 1u) * POSITIONS, rows.y);
      let m = mean[k];
      var sumDyCentred = vec4f(0.0);
      for (; row < end; row++) {
        let d = dy4[row * stride4 + c];
        sumDy += d;
        sumDyCentred += d * (x4[row * stride4 + c] - m);
      }
      sumDyXhat += sumDyCentred * rstd[k];
      k += GROUPS;
    }
  }
  outGamma4[i] = sumDyXhat;
  outBeta4[i] = sumDy;
}
