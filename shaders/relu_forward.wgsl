// ReLU in place: x = max(x, 0). `main` handles any LENGTH; `main4` sees the same binding as vec4 when LENGTH
// is a multiple of 4 (4x fewer invocations, much faster on SwiftShader). Each entry point uses only its own
// variable, so the shared binding number does not clash. The grid-stride loop covers any length within the
// 65535-workgroup limit.

override LENGTH: u32;

@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(0) var<storage, read_write> x4: array<vec4f>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  for (var i = gid.x; i < LENGTH; i += groups.x * 64u) {
    x[i] = max(x[i], 0.0);
  }
}

@compute @workgroup_size(64)
fn main4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  for (var i = gid.x; i < LENGTH / 4u; i += groups.x * 64u) {
    x4[i] = max(x4[i], vec4f(0.0));
  }
}
