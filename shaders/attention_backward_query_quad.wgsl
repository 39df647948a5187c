// Causal self-attention backward, query half, as attention_backward_query.wgsl, but the 4 lanes of a quad share
// their loads: each loads one of the 4 key (value) rows of a block and takes the other 3 from its quad with
// quadBroadcast. Quads as in attention_forward_quad.wgsl: 4 consecutive invocations on 4 consecutive query blocks
// of one head (blocks padded to a multiple of 4 per head), looping over the same keys.

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
@group(0) @binding(1) var<storage, read> out: array<vec4f>;
@group(0) @binding(2) var<storage, read> lse: array<f32>;
@group(0) @binding(3) var<storage, read> dout: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> dqkv: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> delta: array<f32>;

// 4 rows of HEAD_DIM floats, row r at [r * MAX_CHUNKS, r * MAX_CHUNKS + CHUNKS). Indexed only by constants
// (the chunk loops below are unrolled by hand; a dynamic index makes SwiftShader keep the array in memory and
// gather from it: the kernels ran ~2x slower).
alias Rows = array<vec4f, 64>;
// Row i: query i against the 4 keys of a block.
struct Block { r0: vec4f, r1: vec4f, r2: vec4f, r3: vec4f }
struct Products { s: Block, dp: Block }

// Also adds dout_i . out_i to d.
fn loadChunk(q: ptr<function, Rows>, g: ptr<function, Rows>, d: ptr<function, vec4f>, at: vec4u, o: vec4u, scale: f32, c: u32) {
  if (c >= CHUNKS) { return; }
  (*q)[c] = qkv[at.x + c] * scale;
  (*q)[MAX_CHUNKS + c] = qkv[at.y + c] * scale;
  (*q)[2u * MAX_CHUNKS + c] = qkv[at.z + c] * scale;
  (*q)[3u * MAX_CHUNKS + c] = qkv[at.w + c] * scale;
  (*g)[c] = dout[o.x + c];
  (*g)[MAX_CHUNKS + c] = dout[o.y + c];
  (*g)[2u * MAX_CHUNKS + c] = dout[o.z + c];
  (*g)[3u * MAX_CHUNKS + c] = dout[o.w + c];
  *d += vec4f(dot((*g)[c], out[o.x + c]), dot((*g)[MAX_CHUNKS + c], out[o.y + c]), dot((*g)[2u * MAX_CHUNKS + c], out[o.z + c]), dot((*g)[3u * MAX_CHUNKS + c], out[o.w + c]));
}

// q (scaled) from qkv rows at, dout from rows o; returns delta.
fn load(q: ptr<function, Rows>, g: ptr<function, Rows>, at: vec4u, o: vec4u, scale: f32) -> vec4f {
  var d = vec4f(0.0);
  loadChunk(q, g, &d, at, o, scale, 0u); loadChunk(q, g, &d, at, o, scale, 1u); loadChunk(q, g, &d, at, o, scale, 2u); loadChunk(q, g, &d, at, o, scale, 3u);
  loadChunk(q, g, &d, at, o, scale, 4u); loadChunk(q, g, &d, at, o, scale, 5u); loadChunk(q, g, &d, at, o, scale, 6u); loadChunk(q, g, &d, at, o, scale, 7u);
  loadChunk(q, g, &d, at, o, scale, 8u); loadChunk(q, g, &d, at, o, scale, 9u); loadChunk(q, g, &d, at, o, scale, 10u); loadChunk(q, g, &d, at, o, scale, 11u);
  loadChunk(q, g, &d, at, o, scale, 12u); loadChunk(q, g, &d, at, o, scale, 13u); loadChunk(q, g, &d, at, o, scale, 14u); loadChunk(q, g, &d, at, o, scale, 15u);
  return d;
}

// The quad's 4 rows, given this lane's.
fn quadRows(mine: vec4f) -> Block {
  return Block(quadBroadcast(mine, 0u), quadBroadcast(mine, 1u), quadBroadcast(mine, 2u), quadBroadcast(mine, 3u));
}

// k: the start of this lane's key row.
fn productChunk(r: ptr<function, Products>, q: ptr<function, Rows>, g: ptr<function, Rows>, ks: ptr<function, Rows>, k: u32, c: u32) {
  if (c >= CHUNKS) { return; }
  let keys = quadRows(qkv[k + c]);
  let kx = keys.r0;
  let ky = keys.r1;
  let kz = keys.r2;
  let kw = keys.r3;
  (*ks)[c] = kx;
  (*ks)[MAX_CHUNKS + c] = ky;
  (*ks)[2u * MAX_CHUNKS + c] = kz;
  (*ks)[3u * MAX_CHUNKS + c] = kw;
  let values = quadRows(qkv[k + HEADS * CHUNKS + c]);
  let vx = values.r0;
  let vy = values.r1;
  let vz = values.r2;
  let vw = values.r3;
  let q0 = (*q)[c];
  let q1 = (*q)[MAX_CHUNKS + c];
  let q2 = (*q)[2u * MAX_CHUNKS + c];
  let q3 = (*q)[3u * MAX_CHUNKS + c];
  (*r).s.r0 += vec4f(dot(q0, kx), dot(q0, ky), dot(q0, kz), dot(q0, kw));
  (*r).s.r1 += vec4f(dot(q1, kx), dot(q1, ky), dot(q1, kz), dot(q1, kw));
  (*r).s.r2 += vec4f(dot(q2, kx), dot(q2, ky), dot(q2, kz), dot(q2, kw));
  (*r).s.r3 += vec4f(dot(q3, kx), dot(q3, ky), dot(q3, kz), dot(q3, kw));
  let g0 = (*g)[c];
  let g1 = (*g)[MAX_CHUNKS + c];
  let g2 = (*g)[2u * MAX_CHUNKS + c];
  let g3 = (*g)[3u * MAX_CHUNKS + c];
  (*r).dp.r0 += vec4f(dot(g0, vx), dot(g0, vy), dot(g0, vz), dot(g0, vw));
  (*r).dp.r1 += vec4f(dot(g1, vx), dot(g1, vy), dot(g1, vz), dot(g1, vw));
  (*r).dp.r2 += vec4f(dot(g2, vx), dot(g2, vy), dot(g2, vz), dot(g2, vw));
  (*r).dp.r3 += vec4f(dot(g3, vx), dot(g3, vy), dot(g3, vz), dot(g3, vw));
}

// Scores q . k and dp = dout . v for the 4 queries against the quad's 4 keys (this lane's k row starts at k);
// keeps the key rows in ks for accumulate.
fn products(q: ptr<function, Rows>, g: ptr<function, Rows>, ks: ptr<function, Rows>, k: u32) -> Products {
  var r: Products;
  productChunk(&r, q, g, ks, k, 0u); productChunk(&r, q, g, ks, k, 1u); productChunk(&r, q, g, ks, k, 2u); productChunk(&r, q, g, ks, k, 3u);
  productChunk(&r, q, g, ks, k, 4u); productChunk(&r, q, g, ks, k, 5u); productChunk(&r, q, g, ks, k, 6u); productChunk(&r, q, g, ks, k, 7u);
  productChunk(&r, q, g, ks, k, 8u); productChunk(&r, q, g, ks, k, 9u); productChunk(&r, q, g, ks, k, 10u); productChunk(&r, q, g, ks, k, 11u);
  productChunk(&r, q, g, ks, k, 12u); productChunk(&r, q, g, ks, k, 13u); productChunk(&r, q, g, ks, k, 14u); productChunk(&r, q, g, ks, k, 15u);
  return r;
}

fn accumulateChunk(dq: ptr<function, Rows>, ds: Block, ks: ptr<function, Rows>, c: u32) {
  if (c >= CHUNKS) { return; }
  let kx = (*ks)[c];
  let ky = (*ks)[MAX_CHUNKS + c];
  let kz = (*ks)[2u * MAX_CHUNKS + c];
  let kw = (*ks)[3u * MAX_CHUNKS + c];
  (*dq)[c] += ds.r0.x * kx + ds.r0.y * ky + ds.r0.z * kz + ds.r0.w * kw;
  (*dq)[MAX_CHUNKS + c] += ds.r1.x * kx + ds.r1.y * ky + ds.r1.z * kz + ds.r1.w * kw;
  (*dq)[2u * MAX_CHUNKS + c] += ds.r2.x * kx + ds.r2.y * ky + ds.r2.z * kz + ds.r2.w * kw;
  (*dq)[3u * MAX_CHUNKS + c] += ds.r3.x * kx + ds.r3.y * ky + ds.r3.z * kz + ds.r3.w * kw;
}

// dq += ds k over the key rows that products kept in ks.
fn accumulate(dq: ptr<function, Rows>, ds: Block, ks: ptr<function, Rows>) {
  accumulateChunk(dq, ds, ks, 0u); accumulateChunk(dq, ds, ks, 1u); accumulateChunk(dq, ds, ks, 2u); accumulateChunk(dq, ds, ks, 3u);
  accumulateChunk(dq, ds, ks, 4u); accumulateChunk(dq, ds, ks, 5u); accumulateChunk(dq, ds, ks, 6u); accumulateChunk(dq, ds, ks, 7u);
  accumulateChunk(dq, ds, ks, 8u); accumulateChunk(dq, ds, ks, 9u); accumulateChunk(dq, ds, ks, 10u); accumulateChunk(dq, ds, ks, 11u);
  accumulateChunk(dq, ds, ks, 12u); accumulateChunk(dq, ds, ks, 13u); accumulateChunk(dq, ds, ks, 14u); accumulateChunk(dq, ds, ks, 15u);
}

fn storeChunk(dq: ptr<function, Rows>, at: vec4u, scale: f32, valid: vec4<bool>, c: u32) {
  if (c >= CHUNKS) { return; }
  if (valid.x) { dqkv[at.x + c] = (*dq)[c] * scale; }
  if (valid.y) { dqkv[at.y + c] = (*dq)[MAX_CHUNKS + c] * scale; }
  if (valid.z) { dqkv[at.z + c] = (*dq)[2u * MAX_CHUNKS + c] * scale; }
  if (valid.w) { dqkv[at.w + c] = (*dq)[3u * MAX_CHUNKS + c] * scale; }
}

fn store(dq: ptr<function, Rows>, at: vec4u, scale: f32, valid: vec4<bool>) {
  storeChunk(dq, at, scale, valid, 0u); storeChunk(dq, at, scale, valid, 1u); storeChunk(dq, at, scale, valid, 2u); storeChunk(dq, at, scale, valid, 3u);
  storeChunk(dq, at, scale, valid, 4u); storeChunk(dq, at, scale, valid, 5u); storeChunk(dq, at, scale, valid, 6u); storeChunk(dq, at, scale, valid, 7u);
  storeChunk(dq, at, scale, valid, 8u); storeChunk(dq, at, scale, valid, 9u); storeChunk(dq, at, scale, valid, 10u); storeChunk(dq, at, scale, valid, 11u);
  storeChunk(dq, at, scale, valid, 12u); storeChunk(dq, at, scale, valid, 13u); storeChunk(dq, at, scale, valid, 14u); storeChunk(dq, at, scale, valid, 15u);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  // x: (head, block) pairs of one sequence; y: the sequence, so that pipelines do not depend on the batch size.
  let blocks = (CONTEXT + 15u) / 16u * 4u;
  if (gid.x >= HEADS * blocks) { return; }
  let b = gid.y;
  let h = gid.x / blocks;
  let bh = b * HEADS + h;
  let ts = (gid.x % blocks) * 4u + vec4u(0u, 1u, 2u, 3u);
  let width = HEADS * CHUNKS;
  let stride = 3u * width;
  let base = b * CONTEXT * stride + h * CHUNKS;
  let scale = inverseSqrt(f32(HEAD_DIM));
  // Base-2 scores: q scaled by log2(e) / sqrt(d), lse by log2(e).
  let log2e = 1.4426950408889634;
  // Queries past the end compute on the last row and are not stored.
  let tq = min(ts, vec4u(CONTEXT - 1u));
  // The quad's last query.
  let last = min(((gid.x % blocks) | 3u) * 4u + 3u, CONTEXT - 1u);
  let r = bh * CONTEXT + tq;

  var q: Rows;
  var g: Rows;
  var dq: Rows;
  var ks: Rows;
  let d = load(&q, &g, base + tq * stride, (b * CONTEXT + tq) * width + h * CHUNKS, scale * log2e);
  let shift = vec4f(lse[r.x], lse[r.y], lse[r.z], lse[r.w]) * log2e;
  for (var u0 = 0u; u0 <= last; u0 += 4u) {
    let us = u0 + vec4u(0u, 1u, 2u, 3u);
    // This lane's key: past the quad's last query it reloads that row (in range, finite), weight 0.
    let k = base + min(u0 + lane % 4u, last) * stride + width;
    let x = products(&q, &g, &ks, k);
    let p0 = select(exp2(x.s.r0 - shift.x), vec4f(0.0), us > vec4u(tq.x));
    let p1 = select(exp2(x.s.r1 - shift.y), vec4f(0.0), us > vec4u(tq.y));
    let p2 = select(exp2(x.s.r2 - shift.z), vec4f(0.0), us > vec4u(tq.z));
    let p3 = select(exp2(x.s.r3 - shift.w), vec4f(0.0), us > vec4u(tq.w));
    accumulate(&dq, Block(p0 * (x.dp.r0 - d.x), p1 * (x.dp.r1 - d.y), p2 * (x.dp.r2 - d.z), p3 * (x.dp.r3 - d.w)), &ks);
  }
  let valid = ts < vec4u(CONTEXT);
  store(&dq, base + tq * stride, scale, valid);
  if (valid.x) { delta[r.x] = d.x; }
  if (valid.y) { delta[r.y] = d.y; }
  if (valid.z) { delta[r.z] = d.z; }
  if (valid.w) { delta[r.w] = d.w; }
}
