// Positional embedding gradient: dpositions[t, :] = sum over the batch of dy[b, t, :], one invocation per (t, channel)
// (or per vec4 of channels in `main4`, DIM a multiple of 4) summing BATCH values in a register; no barriers.

override BATCH: u32;
override CONTEXT: u32;
override DIM: u32;

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(0) var<storage, read> dy4: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> dpositions: array<f32>;
@group(0) @binding(1) var<storage, read_write> dpositions4: array<vec4f>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let n = CONTEXT * DIM;
  for (var i = gid.x; i < n; i += groups.x * 64u) {
    var sum = 0.0;
    for (var b = 0u; b < BATCH; b++) {
      sum += dy[b * n + i];
    }
    dpositions[i] = sum;
  }
}

@compute @workgroup_size(64)
fn main4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let n = CONTEXT * DIM / 4u;
  for (var i = gid.x; i < n; i += groups.x * 64u) {
    var sum = vec4f(0.0);
    for (var b = 0u; b < BATCH; b++) {
      sum += dy4[b * n + i];
    }
    dpositions4[i] = sum;
  }
}
