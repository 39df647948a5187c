// Dropout in place (the forward on x, the backward on dy with the same mask): element i is kept iff
// lowbias32(i ^ lowbias32(seed)) >= THRESHOLD (floor(rate * 2^32)) and then scaled by SCALE = 1 / (1 - rate), exactly
// as shared/reference/dropout.ts computes it, so a CPU replay draws the same mask. The seed changes every step, so it
// is read from a buffer the trainer rewrites rather than set as a constant (which would rebuild the pipeline).
// `main` handles any LENGTH; `main4` sees x as vec4 when LENGTH is a multiple of 4 (see relu_forward.wgsl).

override LENGTH: u32;
override THRESHOLD: u32;
override SCALE: f32;

@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(0) var<storage, read_write> x4: array<vec4f>;
@group(0) @binding(1) var<storage, read> seed: u32;

// lowbias32 (Chris Wellons' hash prospector) on four u32 at once; u32 multiplication wraps, as Math.imul does.
fn lowbias32(v: vec4u) -> vec4u {
  var h = v;
  h ^= h >> vec4u(16u);
  h *= 0x7feb352du;
  h ^= h >> vec4u(15u);
  h *= 0x846ca68bu;
  h ^= h >> vec4u(16u);
  return h;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let key = lowbias32(vec4u(seed)).x;
  for (var i = gid.x; i < LENGTH; i += groups.x * 64u) {
    let keep = lowbias32(vec4u(i ^ key)).x >= THRESHOLD;
    x[i] = select(0.0, x[i] * SCALE, keep);
  }
}

@compute @workgroup_size(64)
fn main4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let key = vec4u(lowbias32(vec4u(seed)).x);
  for (var i = gid.x; i < LENGTH / 4u; i += groups.x * 64u) {
    let keep = lowbias32((vec4u(i * 4u) + vec4u(0u, 1u, 2u, 3u)) ^ key) >= vec4u(THRESHOLD);
    x4[i] = select(vec4f(0.0), x4[i] * SCALE, keep);
  }
}
