// Conv2d backward-filter, pass 2 of 2: adds the per-chunk partial sums of conv2d_backward_filter.wgsl.
// Entry e = r * cout + co of a chunk's block is dw[e] for the tap rows and db[co] for the last row.

override chunks: u32;
/** taps * cout: the dw entries; the cout entries after them are db. */
override weights: u32;
override cout: u32;

@group(0) @binding(0) var<storage, read> partial: array<f32>;
@group(0) @binding(1) var<storage, read_write> dw: array<f32>;
@group(0) @binding(2) var<storage, read_write> db: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let entries = weights + cout;
  let e = gid.x + gid.y * groups.x * 64u;
  if (e >= entries) { return; }
  var sum = 0.0;
  for (var k = 0u; k < chunks; k++) {
    sum += partial[k * entries + e];
  }
  if (e < weights) {
    dw[e] = sum;
  } else {
    db[e - weights] = sum;
  }
}
