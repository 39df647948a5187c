// y += x in place (residual connections: the skip joins the block's output, and its gradient the block's).
// `main` handles any LENGTH; `main4` sees the same bindings as vec4 when LENGTH is a multiple of 4
// (see relu_forward.wgsl).

override LENGTH: u32;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;

@group(0) @binding(0) var<storage, read> x4: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> y4: array<vec4f>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  for (var i = gid.x; i < LENGTH; i += groups.x * 64u) {
    y[i] += x[i];
  }
}

@compute @workgroup_size(64)
fn main4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  for (var i = gid.x; i < LENGTH / 4u; i += groups.x * 64u) {
    y4[i] += x4[i];
  }
}
