// Causal self-attention backward, key half, as attention_backward_key.wgsl, but the 4 lanes of a quad share their
// loads: each loads one of the 4 query (dout) rows of a block and takes the other 3 from its quad with
// quadBroadcast. Quads as in attention_forward_quad.wgsl, here on 4 consecutive key blocks of one head (blocks
// padded to a multiple of 4 per head), looping over the same queries (from the quad's first key; earlier queries
// are masked per key).

enable subgroups;
// Every lane of a quad reaches every broadcast: only whole quads return early, loop bounds are the quad's.
diagnostic(off, subgroup_uniformity);

override CONTEXT: u32;
override HEADS: u32;
// A multiple of 4, at most 4 * MAX_CHUNKS.
override HEAD_DIM: u32;
// Derived from the sizes above; not meant to be set by the caller.
override CHUNKS: u32 = HEAD_DIM / 4u;

const MAX_CHUNKS = 16u;

@group(0) @binding(0) var<storage, read> qkv: array<vec4f>;
@group(0) @binding(1) var<storage, read> lse: array<f32>;
@group(0) @binding(2) var<storage, read> dout: array<vec4f>;
// Only read; read_write so that scratch may share a buffer with dqkv (within one dispatch a buffer is bound
// either read-only or writable).
@group(0) @binding(3) var<storage, read_write> delta: array<f32>;
@group(0) @binding(4) var<storage, read_write> dqkv: array<vec4f>;

// 4 rows of HEAD_DIM floats, row r at [r * MAX_CHUNKS, r * MAX_CHUNKS + CHUNKS). Indexed only by constants
// (the chunk loops below are unrolled by hand; a dynamic index makes SwiftShader keep the array in memory and
// gather from it: the kernels ran ~2x slower).
alias Rows = array<vec4f, 64>;
// Row i: key i against the 4 queries of a block.
struct Block { r0: vec4f, r1: vec4f, r2: vec4f, r3: vec4f }
struct Products { s: Block, dp: Block }

fn loadChunk(k: ptr<function, Rows>, v: ptr<function, Rows>, at: vec4u, scale: f32, c: u32) {
  if (c >= CHUNKS) { return; }
  (*k)[c] = qkv[at.x + c] * scale;
  (*k)[MAX_CHUNKS + c] = qkv[at.y + c] * scale;
  (*k)[2u * MAX_CHUNKS + c] = qkv[at.z + c] * scale;
  (*k)[3u * MAX_CHUNKS + c] = qkv[at.w + c] * scale;
  let w = at + HEADS * CHUNKS;
  (*v)[c] = qkv[w.x + c];
  (*v)[MAX_CHUNKS + c] = qkv[w.y + c];
  (*v)[2u * MAX_CHUNKS + c] = qkv[w.z + c];
  (*v)[3u * MAX_CHUNKS + c] = qkv[w.w + c];
}

// k (scaled) and v of the 4 keys whose k rows start at at.
fn load(k: ptr<function, Rows>, v: ptr<function, Rows>, at: vec4u, scale: f32) {
  loadChunk(k, v, at, scale, 0u); loadChunk(k, v, at, scale, 1u); loadChunk(k, v, at, scale, 2u); loadChunk(k, v, at, scale, 3u);
  loadChunk(k, v, at, scale, 4u); loadChunk(k, v, at, scale, 5u); loadChunk(k, v, at, scale, 6u); loadChunk(k, v, at, scale, 7u);
  loadChunk(k, v, at, scale, 8u); loadChunk(k, v, at, scale, 9u); loadChunk(k, v, at, scale, 10u); loadChunk(k, v, at, scale, 11u);
  loadChunk(k, v, at, scale, 12u); loadChunk(k, v, at, scale, 13u); loadChunk(k, v, at, scale, 14u); loadChunk(k, v, at, scale, 15u);
}

// The quad's 4 rows, given this lane's.
fn quadRows(mine: vec4f) -> Block {
  return Block(quadBroadcast(mine, 0u), quadBroadcast(mine, 1u), quadBroadcast(mine, 2u), quadBroadcast(mine, 3u));
}

// The quad's 4 values, given this lane's.
fn quadValues(mine: f32) -> vec4f {
  return vec4f(quadBroadcast(mine, 0u), quadBroadcast(mine, 1u), quadBroadcast(mine, 2u), quadBroadcast(mine, 3u));
}

// q, o: the starts of this lane's q and dout rows.
fn productChunk(r: ptr<function, Products>, k: ptr<function, Rows>, v: ptr<function, Rows>, qs: ptr<function, Rows>, gs: ptr<function, Rows>, q: u32, o: u32, c: u32) {
  if (c >= CHUNKS) { return; }
  let queries = quadRows(qkv[q + c]);
  let qx = queries.r0;
  let qy = queries.r1;
  let qz = queries.r2;
  let qw = queries.r3;
  let grads = quadRows(dout[o + c]);
  let gx = grads.r0;
  let gy = grads.r1;
  let gz = grads.r2;
  let gw = grads.r3;
  (*qs)[c] = qx;
  (*qs)[MAX_CHUNKS + c] = qy;
  (*qs)[2u * MAX_CHUNKS + c] = qz;
  (*qs)[3u * MAX_CHUNKS + c] = qw;
  (*gs)[c] = gx;
  (*gs)[MAX_CHUNKS + c] = gy;
  (*gs)[2u * MAX_CHUNKS + c] = gz;
  (*gs)[3u * MAX_CHUNKS + c] = gw;
  let k0 = (*k)[c];
  let k1 = (*k)[MAX_CHUNKS + c];
  let k2 = (*k)[2u * MAX_CHUNKS + c];
  let k3 = (*k)[3u * MAX_CHUNKS + c];
  (*r).s.r0 += vec4f(dot(k0, qx), dot(k0, qy), dot(k0, qz), dot(k0, qw));
  (*r).s.r1 += vec4f(dot(k1, qx), dot(k1, qy), dot(k1, qz), dot(k1, qw));
  (*r).s.r2 += vec4f(dot(k2, qx), dot(k2, qy), dot(k2, qz), dot(k2, qw));
  (*r).s.r3 += vec4f(dot(k3, qx), dot(k3, qy), dot(k3, qz), dot(k3, qw));
  let v0 = (*v)[c];
  let v1 = (*v)[MAX_CHUNKS + c];
  let v2 = (*v)[2u * MAX_CHUNKS + c];
  let v3 = (*v)[3u * MAX_CHUNKS + c];
  (*r).dp.r0 += vec4f(dot(v0, gx), dot(v0, gy), dot(v0, gz), dot(v0, gw));
  (*r).dp.r1 += vec4f(dot(v1, gx), dot(v1, gy), dot(v1, gz), dot(v1, gw));
  (*r).dp.r2 += vec4f(dot(v2, gx), dot(v2, gy), dot(v2, gz), dot(v2, gw));
  (*r).dp.r3 += vec4f(dot(v3, gx), dot(v3, gy), dot(v3, gz), dot(v3, gw));
}

// Scores k . q and dp = v . dout for the 4 keys against the quad's 4 queries (this lane's q row starts at q, its
// dout row at o); keeps those rows in qs and gs for accumulate.
fn products(k: ptr<function, Rows>, v: ptr<function, Rows>, qs: ptr<function, Rows>, gs: ptr<function, Rows>, q: u32, o: u32) -> Products {
  var r: Products;
  productChunk(&r, k, v, qs, gs, q, o, 0u); productChunk(&r, k, v, qs, gs, q, o, 1u); productChunk(&r, k, v, qs, gs, q, o, 2u); productChunk(&r, k, v, qs, gs, q, o, 3u);
  productChunk(&r, k, v, qs, gs, q, o, 4u); productChunk(&r, k, v, qs, gs, q, o, 5u); productChunk(&r, k, v, qs, gs, q, o, 6u); productChunk(&r, k, v, qs, gs, q, o, 7u);
  productChunk(&r, k, v, qs, gs, q, o, 8u); productChunk(&r, k, v, qs, gs, q, o, 9u); productChunk(&r, k, v, qs, gs, q, o, 10u); productChunk(&r, k, v, qs, gs, q, o, 11u);
  productChunk(&r, k, v, qs, gs, q, o, 12u); productChunk(&r, k, v, qs, gs, q, o, 13u); productChunk(&r, k, v, qs, gs, q, o, 14u); productChunk(&r, k, v, qs, gs, q, o, 15u);
  return r;
}

fn accumulateChunk(dk: ptr<function, Rows>, dv: ptr<function, Rows>, ds: Block, p: Block, qs: ptr<function, Rows>, gs: ptr<function, Rows>, c: u32) {
  if (c >= CHUNKS) { return; }
  let qx = (*qs)[c];
  let qy = (*qs)[MAX_CHUNKS + c];
  let qz = (*qs)[2u * MAX_CHUNKS + c];
  let qw = (*qs)[3u * MAX_CHUNKS + c];
  (*dk)[c] += ds.r0.x * qx + ds.r0.y * qy + ds.r0.z * qz + ds.r0.w * qw;
  (*dk)[MAX_CHUNKS + c] += ds.r1.x * qx + ds.r1.y * qy + ds.r1.z * qz + ds.r1.w * qw;
  (*dk)[2u * MAX_CHUNKS + c] += ds.r2.x * qx + ds.r2.y * qy + ds.r2.z * qz + ds.r2.w * qw;
  (*dk)[3u * MAX_CHUNKS + c] += ds.r3.x * qx + ds.r3.y * qy + ds.r3.z * qz + ds.r3.w * qw;
  let gx = (*gs)[c];
  let gy = (*gs)[MAX_CHUNKS + c];
  let gz = (*gs)[2u * MAX_CHUNKS + c];
  let gw = (*gs)[3u * MAX_CHUNKS + c];
  (*dv)[c] += p.r0.x * gx + p.r0.y * gy + p.r0.z * gz + p.r0.w * gw;
  (*dv)[MAX_CHUNKS + c] += p.r1.x * gx + p.r1.y * gy + p.r1.z * gz + p.r1.w * gw;
  (*dv)[2u * MAX_CHUNKS + c] += p.r2.x * gx + p.r2.y * gy + p.r2.z * gz + p.r2.w * gw;
  (*dv)[3u * MAX_CHUNKS + c] += p.r3.x * gx + p.r3.y * gy + p.r3.z * gz + p.r3.w * gw;
}

// dk += ds q and dv += p dout over the q and dout rows that products kept in qs and gs.
fn accumulate(dk: ptr<function, Rows>, dv: ptr<function, Rows>, ds: Block, p: Block, qs: ptr<function, Rows>, gs: ptr<function, Rows>) {
  accumulateChunk(dk, dv, ds, p, qs, gs, 0u); accumulateChunk(dk, dv, ds, p, qs, gs, 1u); accumulateChunk(dk, dv, ds, p, qs, gs, 2u); accumulateChunk(dk, dv, ds, p, qs, gs, 3u);
  accumulateChunk(dk, dv, ds, p, qs, gs, 4u); accumulateChunk(dk, dv, ds, p, qs, gs, 5u); accumulateChunk(dk, dv, ds, p, qs, gs, 6u); accumulateChunk(dk, dv, ds, p, qs, gs, 7u);
  accumulateChunk(dk, dv, ds, p, qs, gs, 8u); accumulateChunk(dk, dv, ds, p, qs, gs, 9u); accumulateChunk(dk, dv, ds, p, qs, gs, 10u); accumulateChunk(dk, dv, ds, p, qs, gs, 11u);
  accumulateChunk(dk, dv, ds, p, qs, gs, 12u); accumulateChunk(dk, dv, ds, p, qs, gs, 13u); accumulateChunk(dk, dv, ds, p, qs, gs, 14u); accumulateChunk(dk, dv, ds, p, qs, gs, 15u);
}

fn storeChunk(dk: ptr<function, Rows>, dv: ptr<function, Rows>, at: vec4u, scale: f32, valid: vec4<bool>, c: u32) {
  if (c >= CHUNKS) { return; }
  let w = at + HEADS * CHUNKS;
  if (valid.x) { dqkv[at.x + c] = (*dk)[c] * scale; dqkv[w.x + c] = (*dv)[c]; }
  if (valid.y) { dqkv[at.y + c] = (*dk)[MAX_CHUNKS + c] * scale; dqkv[w.y + c] = (*dv)[MAX_CHUNKS + c]; }
  if (valid.z) { dqkv[at.z + c] = (*dk)[2u * MAX_CHUNKS + c] * scale; dqkv[w.z + c] = (*dv)[2u * MAX_CHUNKS + c]; }
  if (valid.w) { dqkv[at.w + c] = (*dk)[3u * MAX_CHUNKS + c] * scale; dqkv[w.w + c] = (*dv)[3u * MAX_CHUNKS + c]; }
}

// dk (times scale) to the k columns of the rows at at, dv to their v columns.
fn store(dk: ptr<function, Rows>, dv: ptr<function, Rows>, at: vec4u, scale: f32, valid: vec4<bool>) {
  storeChunk(dk, dv, at, scale, valid, 0u); storeChunk(dk, dv, at, scale, valid, 1u); storeChunk(dk, dv, at, scale, valid, 2u); storeChunk(dk, dv, at, scale, valid, 3u);
  storeChunk(dk, dv, at, scale, valid, 4u); storeChunk(dk, dv, at, scale, valid, 5u); storeChunk(dk, dv, at, scale, valid, 6u); storeChunk(dk, dv, at, scale, valid, 7u);
  storeChunk(dk, dv, at, scale, valid, 8u); storeChunk(dk, dv, at, scale, valid, 9u); storeChunk(dk, dv, at, scale, valid, 10u); storeChunk(dk, dv, at, scale, valid, 11u);
  storeChunk(dk, dv, at, scale, valid, 12u); storeChunk(dk, dv, at, scale, valid, 13u); storeChunk(dk, dv, at, scale, valid, 14u); storeChunk(dk, dv, at, scale, valid, 15u);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  // x: (head, block) pairs of one sequence; y: the sequence, so that pipelines do not depend on the batch size.
  let blocks = (CONTEXT + 15u) / 16u * 4u;
  if (gid.x >= HEADS * blocks) { return; }
  let b = gid.y;
  let h = gid.x / blocks;
  let bh = b * HEADS + h;
  let us = (gid.x % blocks) * 4u + vec4u(0u, 1u, 2u, 3u);
  let width = HEADS * CHUNKS;
  let stride = 3u * width;
  let base = b * CONTEXT * stride + h * CHUNKS;
  let outBase = b * CONTEXT * width + h * CHUNKS;
  let scale = inverseSqrt(f32(HEAD_DIM));
  // Base-2 scores: k scaled by log2(e) / sqrt(d), lse by log2(e).
  let log2e = 1.4426950408889634;
  let last = vec4u(CONTEXT - 1u);
  // Keys past the end compute on the last row and are not stored.
  let kRows = base + min(us, last) * stride + width;

  var k: Rows;
  var v: Rows;
  var dk: Rows;
  var dv: Rows;
  var qs: Rows;
  var gs: Rows;
  load(&k, &v, kRows, scale * log2e);
  // From the quad's first key.
  for (var t0 = ((gid.x % blocks) & ~3u) * 4u; t0 < CONTEXT; t0 += 4u) {
    let ts = t0 + vec4u(0u, 1u, 2u, 3u);
    // This lane's query: past the end it reloads the last row (in range, finite), weight 0.
    let t = min(t0 + lane % 4u, CONTEXT - 1u);
    let q = base + t * stride;
    let o = outBase + t * width;
    let x = products(&k, &v, &qs, &gs, q, o);
    let shift = quadValues(lse[bh * CONTEXT + t]) * log2e;
    let d = quadValues(delta[bh * CONTEXT + t]);
    let beyond = ts > last;
    let p = Block(
      select(exp2(x.s.r0 - shift), vec4f(0.0), beyond | (ts < vec4u(us.x))),
      select(exp2(x.s.r1 - shift), vec4f(0.0), beyond | (ts < vec4u(us.y))),
      select(exp2(x.s.r2 - shift), vec4f(0.0), beyond | (ts < vec4u(us.z))),
      select(exp2(x.s.r3 - shift), vec4f(0.0), beyond | (ts < vec4u(us.w))),
    );
    accumulate(&dk, &dv, Block(p.r0 * (x.dp.r0 - d), p.r1 * (x.dp.r1 - d), p.r2 * (x.dp.r2 - d), p.r3 * (x.dp.r3 - d)), p, &qs, &gs);
  }
  store(&dk, &dv, kRows, scale, us < vec4u(CONTEXT));
}
