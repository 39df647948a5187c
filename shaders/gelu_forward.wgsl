// GELU, tanh approximation, out of place: y = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
// `main` handles any LENGTH; `main4` sees the same bindings as vec4 when LENGTH is a multiple of 4
// (see relu_forward.wgsl).

override LENGTH: u32;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;

@group(0) @binding(0) var<storage, read> x4: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> y4: array<vec4f>;

const K = 0.7978845608028654; // sqrt(2 / pi)
const A = 0.044715;

// tanh's argument is clamped: some backends compute tanh from exp and give NaN for large |u|, and tanh(15) is
// already 1 in f32.
fn gelu(v: vec4f) -> vec4f {
  let t = tanh(clamp(K * (v + A * v * v * v), vec4f(-15.0), vec4f(15.0)));
  return 0.5 * v * (1.0 + t);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  for (var i = gid.x; i < LENGTH; i += groups.x * 64u) {
    y[i] = gelu(vec4f(x[i])).x;
  }
}

@compute @workgroup_size(64)
fn main4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  for (var i = gid.x; i < LENGTH / 4u; i += groups.x * 64u) {
    y4[i] = gelu(x4[i]);
  }
}
