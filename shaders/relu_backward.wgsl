// ReLU gradient in place on dy: dy = y > 0 ? dy : 0, where y is the forward output.
// `main` handles any LENGTH; `main4` sees the same bindings as vec4 when LENGTH is a multiple of 4
// (see relu_forward.wgsl).

override LENGTH: u32;

@group(0) @binding(0) var<storage, read> y: array<f32>;
@group(0) @binding(1) var<storage, read_write> dy: array<f32>;

@group(0) @binding(0) var<storage, read> y4: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> dy4: array<vec4f>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  for (var i = gid.x; i < LENGTH; i += groups.x * 64u) {
    dy[i] = select(0.0, dy[i], y[i] > 0.0);
  }
}

@compute @workgroup_size(64)
fn main4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  for (var i = gid.x; i < LENGTH / 4u; i += groups.x * 64u) {
    dy4[i] = select(vec4f(0.0), dy4[i], y4[i] > vec4f(0.0));
  }
}
