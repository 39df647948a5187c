// Token + positional embedding: y[b, t, :] = table[token(b, t), :] + positions[t, :], with tokens as f32 holding
// exact integers. A token outside 0..VOCAB-1 (or NaN) adds no table row: its index is clamped so that nothing out
// of bounds is read, and the row is then dropped. `main4` (DIM a multiple of 4) moves vec4s; `main` one float per
// step. Each entry point uses only its own variables, so the shared binding numbers do not clash.

override BATCH: u32;
override CONTEXT: u32;
override VOCAB: u32;
override DIM: u32;

@group(0) @binding(0) var<storage, read> tokens: array<f32>;
@group(0) @binding(1) var<storage, read> table: array<f32>;
@group(0) @binding(1) var<storage, read> table4: array<vec4f>;
@group(0) @binding(2) var<storage, read> positions: array<f32>;
@group(0) @binding(2) var<storage, read> positions4: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> y4: array<vec4f>;

// The table row of position p's token (clamped into range) and whether the token was in range.
fn tokenRow(p: u32) -> vec2u {
  let token = tokens[p];
  let valid = token >= 0.0 && token < f32(VOCAB);
  return vec2u(min(u32(max(token, 0.0)), VOCAB - 1u), u32(valid));
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  for (var i = gid.x; i < BATCH * CONTEXT * DIM; i += groups.x * 64u) {
    let p = i / DIM;
    let c = i - p * DIM;
    let row = tokenRow(p);
    let embedded = select(0.0, table[row.x * DIM + c], row.y == 1u);
    y[i] = embedded + positions[(p % CONTEXT) * DIM + c];
  }
}

@compute @workgroup_size(64)
fn main4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let quads = DIM / 4u;
  for (var i = gid.x; i < BATCH * CONTEXT * quads; i += groups.x * 64u) {
    let p = i / quads;
    let c = i - p * quads;
    let row = tokenRow(p);
    let embedded = select(vec4f(0.0), table4[row.x * quads + c], row.y == 1u);
    y4[i] = embedded + positions4[(p % CONTEXT) * quads + c];
  }
}
