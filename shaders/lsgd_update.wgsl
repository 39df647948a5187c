// One fused Leader SGD step with momentum over the flat parameter vector:
//   g = grad + lambdaL (x - localLeader) + lambdaG (x - globalLeader);  v = momentum v + g;  x -= lr v.
// Which pulls apply are override constants, not uniforms: a pipeline per combination, so the common case
// (no pull) carries no leader loads or branches (about 1.7x faster on SwiftShader, which runs both sides of a
// uniform branch under lane masks). A pull that is switched off never reads its leader buffer, so that buffer
// may hold anything (a worker that is itself a leader, or has no leader copy yet, binds a placeholder).
// Two entry points: `main` handles any LENGTH one float per step; `main4` sees the same bindings as vec4
// (LENGTH a multiple of 4, as the whole flat vector always is) and is several times faster on SwiftShader.
// Each entry point uses only its own set of variables, so the shared binding numbers do not clash.

struct Hyper {
  lr: f32,
  momentum: f32,
  lambdaL: f32,
  lambdaG: f32,
}

override LENGTH: u32;
override USE_LOCAL: bool;
override USE_GLOBAL: bool;

@group(0) @binding(5) var<uniform> hyper: Hyper;

@group(0) @binding(0) var<storage, read_write> params: array<f32>;
@group(0) @binding(1) var<storage, read> grads: array<f32>;
@group(0) @binding(2) var<storage, read_write> velocity: array<f32>;
@group(0) @binding(3) var<storage, read> localLeader: array<f32>;
@group(0) @binding(4) var<storage, read> globalLeader: array<f32>;

@group(0) @binding(0) var<storage, read_write> params4: array<vec4f>;
@group(0) @binding(1) var<storage, read> grads4: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> velocity4: array<vec4f>;
@group(0) @binding(3) var<storage, read> localLeader4: array<vec4f>;
@group(0) @binding(4) var<storage, read> globalLeader4: array<vec4f>;

// Workgroups beyond 65535 are not allowed, so each invocation strides over the vector.
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  for (var i = gid.x; i < LENGTH; i += groups.x * 64u) {
    let x = params[i];
    var g = grads[i];
    if (USE_LOCAL) {
      g += hyper.lambdaL * (x - localLeader[i]);
    }
    if (USE_GLOBAL) {
      g += hyper.lambdaG * (x - globalLeader[i]);
    }
    let v = hyper.momentum * velocity[i] + g;
    velocity[i] = v;
    params[i] = x - hyper.lr * v;
  }
}

@compute @workgroup_size(64)
fn main4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  for (var i = gid.x; i < LENGTH / 4u; i += groups.x * 64u) {
    let x = params4[i];
    var g = grads4[i];
    if (USE_LOCAL) {
      g += hyper.lambdaL * (x - localLeader4[i]);
    }
    if (USE_GLOBAL) {
      g += hyper.lambdaG * (x - globalLeader4[i]);
    }
    let v = hyper.momentum * velocity4[i] + g;
    velocity4[i] = v;
    params4[i] = x - hyper.lr * v;
  }
}
