// Token embedding gradient: the sum of dy[p, :] over the positions p holding token v goes to row v. There are no
// f32 atomics, so each invocation owns one channel (or a vec4 of channels in `main4`, DIM a multiple of 4) of one
// chunk of CHUNK positions: it zeroes its column of that chunk's [VOCAB, DIM] table in `sums`, so rows of tokens
// that never occur end as 0, then walks the chunk's positions adding dy into its token's row. No two invocations
// touch the same element, so there are no races and no barriers. With one chunk `sums` is dtable itself; with
// more, the chunks' tables lie one after another and a second pass adds them up (more invocations than channels
// alone keep more cores busy). Tokens outside 0..VOCAB-1 (or NaN) are skipped, as in the forward.

override POSITIONS: u32;
override VOCAB: u32;
override DIM: u32;
override CHUNK: u32;

@group(0) @binding(0) var<storage, read> tokens: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> dy4: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> sums: array<f32>;
@group(0) @binding(2) var<storage, read_write> sums4: array<vec4f>;

fn chunks() -> u32 {
  return (POSITIONS + CHUNK - 1u) / CHUNK;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  for (var i = gid.x; i < chunks() * DIM; i += groups.x * 64u) {
    let c = i % DIM;
    let k = i / DIM;
    let table = k * VOCAB * DIM + c;
    for (var v = 0u; v < VOCAB; v++) {
      sums[table + v * DIM] = 0.0;
    }
    for (var p = k * CHUNK; p < min(k * CHUNK + CHUNK, POSITIONS); p++) {
      let token = tokens[p];
      if (token >= 0.0 && token < f32(VOCAB)) {
        let at = table + u32(token) * DIM;
        sums[at] += dy[p * DIM + c];
      }
    }
  }
}

@compute @workgroup_size(64)
fn main4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let quads = DIM / 4u;
  for (var i = gid.x; i < chunks() * quads; i += groups.x * 64u) {
    let c = i % quads;
    let k = i / quads;
    let table = k * VOCAB * quads + c;
    for (var v = 0u; v < VOCAB; v++) {
      sums4[table + v * quads] = vec4f(0.0);
    }
    for (var p = k * CHUNK; p < min(k * CHUNK + CHUNK, POSITIONS); p++) {
      let token = tokens[p];
      if (token >= 0.0 && token < f32(VOCAB)) {
        let at = table + u32(token) * quads;
        sums4[at] += dy4[p * quads + c];
      }
    }
  }
}
