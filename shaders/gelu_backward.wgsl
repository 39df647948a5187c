// GELU gradient (tanh approximation) in place on dy: dy *= gelu'(x), where x is the forward input.
// `main` handles any LENGTH; `main4` sees the same bindings as vec4 when LENGTH is a multiple of 4
// (see relu_forward.wgsl).

override LENGTH: u32;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> dy: array<f32>;

@group(0) @binding(0) var<storage, read> x4: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> dy4: array<vec4f>;

const K = 0.7978845608028654; // sqrt(2 / pi)
const A = 0.044715;

// tanh's argument is clamped as in gelu_forward.wgsl; past the clamp 1 - t*t is 0 in f32 anyway.
fn geluSlope(v: vec4f) -> vec4f {
  let t = tanh(clamp(K * (v + A * v * v * v), vec4f(-15.0), vec4f(15.0)));
  return 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * K * (1.0 + 3.0 * A * v * v);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  for (var i = gid.x; i < LENGTH; i += groups.x * 64u) {
    dy[i] *= geluSlope(vec4f(x[i])).x;
  }
}

@compute @workgroup_size(64)
fn main4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  for (var i = gid.x; i < LENGTH / 4u; i += groups.x * 64u) {
    dy4[i] *= geluSlope(x4[i]);
  }
}
