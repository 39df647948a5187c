// LSGD's periodic pull (the paper's Algorithm 1) over the flat parameter vector, at a communication step and
// outside momentum: x -= lambdaL (x - localLeader), then x -= lambdaG (x - globalLeader).
// As in lsgd_update.wgsl, which pulls apply are override constants (a pipeline per combination), a switched-off
// leader buffer is never read, and `main4` is the vec4 twin of `main` for lengths that are multiples of 4.

struct Hyper {
  lr: f32,
  momentum: f32,
  lambdaL: f32,
  lambdaG: f32,
}

override LENGTH: u32;
override USE_LOCAL: bool;
override USE_GLOBAL: bool;

@group(0) @binding(3) var<uniform> hyper: Hyper;

@group(0) @binding(0) var<storage, read_write> params: array<f32>;
@group(0) @binding(1) var<storage, read> localLeader: array<f32>;
@group(0) @binding(2) var<storage, read> globalLeader: array<f32>;

@group(0) @binding(0) var<storage, read_write> params4: array<vec4f>;
@group(0) @binding(1) var<storage, read> localLeader4: array<vec4f>;
@group(0) @binding(2) var<storage, read> globalLeader4: array<vec4f>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  for (var i = gid.x; i < LENGTH; i += groups.x * 64u) {
    var x = params[i];
    if (USE_LOCAL) {
      x -= hyper.lambdaL * (x - localLeader[i]);
    }
    if (USE_GLOBAL) {
      x -= hyper.lambdaG * (x - globalLeader[i]);
    }
    params[i] = x;
  }
}

@compute @workgroup_size(64)
fn main4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  for (var i = gid.x; i < LENGTH / 4u; i += groups.x * 64u) {
    var x = params4[i];
    if (USE_LOCAL) {
      x -= hyper.lambdaL * (x - localLeader4[i]);
    }
    if (USE_GLOBAL) {
      x -= hyper.lambdaG * (x - globalLeader4[i]);
    }
    params4[i] = x;
  }
}
