// One fused AdamW step (decoupled weight decay) over the flat parameter vector, with LSGD's penalty pull:
//   g = grad + lambdaL (x - localLeader) + lambdaG (x - globalLeader);
//   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2;  x -= lr (m c1 / (sqrt(v c2) + eps) + weightDecay x).
// As in lsgd_update.wgsl: which pulls apply are override constants (a pipeline per combination, so no leader loads
// or branches when off), a switched-off leader buffer is never read, and `main4` is the vec4 twin of `main` for
// lengths that are multiples of 4. The bias corrections c1, c2 change every step, so they are uniforms written by
// the host, and the pipeline and bind group stay the same.

// lr and the lambdas sit where lsgd_update's Hyper has them, so leader_pull.wgsl can read this buffer too.
// 1 - beta1 and 1 - beta2 come from the host in float64: in f32, 1 - f32(0.999) is off by 1.3e-5 relative.
struct Hyper {
  lr: f32,
  weightDecay: f32,
  lambdaL: f32,
  lambdaG: f32,
  beta1: f32,
  oneMinusBeta1: f32,
  beta2: f32,
  oneMinusBeta2: f32,
  eps: f32,
  c1: f32,
  c2: f32,
}

override LENGTH: u32;
override USE_LOCAL: bool;
override USE_GLOBAL: bool;

@group(0) @binding(6) var<uniform> hyper: Hyper;

@group(0) @binding(0) var<storage, read_write> params: array<f32>;
@group(0) @binding(1) var<storage, read> grads: array<f32>;
@group(0) @binding(2) var<storage, read_write> moment1: array<f32>;
@group(0) @binding(3) var<storage, read_write> moment2: array<f32>;
@group(0) @binding(4) var<storage, read> localLeader: array<f32>;
@group(0) @binding(5) var<storage, read> globalLeader: array<f32>;

@group(0) @binding(0) var<storage, read_write> params4: array<vec4f>;
@group(0) @binding(1) var<storage, read> grads4: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> moment14: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> moment24: array<vec4f>;
@group(0) @binding(4) var<storage, read> localLeader4: array<vec4f>;
@group(0) @binding(5) var<storage, read> globalLeader4: array<vec4f>;

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
    let m = hyper.beta1 * moment1[i] + hyper.oneMinusBeta1 * g;
    let v = hyper.beta2 * moment2[i] + hyper.oneMinusBeta2 * g * g;
    moment1[i] = m;
    moment2[i] = v;
    params[i] = x - hyper.lr * ((m * hyper.c1) / (sqrt(v * hyper.c2) + hyper.eps) + hyper.weightDecay * x);
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
    let m = hyper.beta1 * moment14[i] + hyper.oneMinusBeta1 * g;
    let v = hyper.beta2 * moment24[i] + hyper.oneMinusBeta2 * g * g;
    moment14[i] = m;
    moment24[i] = v;
    params4[i] = x - hyper.lr * ((m * hyper.c1) / (sqrt(v * hyper.c2) + hyper.eps) + hyper.weightDecay * x);
  }
}
