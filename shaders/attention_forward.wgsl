// Causal self-attention forward. One invocation per (batch, head, block of 4 queries t), no barriers: an online
// softmax over the keys u <= t keeps the 4 output rows in registers, and each key row loaded serves 4 queries
// (on SwiftShader every storage load is a per-lane gather, the dominant cost). Keys go 4 at a time, so the
// running sums are rescaled once per 4 keys and exp2 runs on vec4s. Scores are in base 2 (q is scaled by
// log2(e) / sqrt(d)). qkv rows: q | k | v, each [HEADS * HEAD_DIM]; out rows [HEADS * HEAD_DIM]; lse
// [batch, HEADS, CONTEXT] in natural log, of the scores q . k / sqrt(d).

override CONTEXT: u32;
override HEADS: u32;
// A multiple of 4, at most 4 * MAX_CHUNKS.
override HEAD_DIM: u32;
// Derived from the sizes above; not meant to be set by the caller.
override CHUNKS: u32 = HEAD_DIM / 4u;

const MAX_CHUNKS = 16u;
// Not -inf: WGSL constants must be finite; exp2 of it minus any score is still exactly 0.
const NEG_BIG = -1e30;

@group(0) @binding(0) var<storage, read> qkv: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> out: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> lse: array<f32>;

// 4 rows of HEAD_DIM floats, row r at [r * MAX_CHUNKS, r * MAX_CHUNKS + CHUNKS). Indexed only by constants
// (the chunk loops below are unrolled by hand; a dynamic index makes SwiftShader keep the array in memory and
// gather from it: the kernels ran ~2x slower).
alias Rows = array<vec4f, 64>;
// Row i: query i against the 4 keys of a block.
struct Block { r0: vec4f, r1: vec4f, r2: vec4f, r3: vec4f }

fn loadChunk(q: ptr<function, Rows>, at: vec4u, scale: f32, c: u32) {
  if (c >= CHUNKS) { return; }
  (*q)[c] = qkv[at.x + c] * scale;
  (*q)[MAX_CHUNKS + c] = qkv[at.y + c] * scale;
  (*q)[2u * MAX_CHUNKS + c] = qkv[at.z + c] * scale;
  (*q)[3u * MAX_CHUNKS + c] = qkv[at.w + c] * scale;
}

fn loadQueries(q: ptr<function, Rows>, at: vec4u, scale: f32) {
  loadChunk(q, at, scale, 0u); loadChunk(q, at, scale, 1u); loadChunk(q, at, scale, 2u); loadChunk(q, at, scale, 3u);
  loadChunk(q, at, scale, 4u); loadChunk(q, at, scale, 5u); loadChunk(q, at, scale, 6u); loadChunk(q, at, scale, 7u);
  loadChunk(q, at, scale, 8u); loadChunk(q, at, scale, 9u); loadChunk(q, at, scale, 10u); loadChunk(q, at, scale, 11u);
  loadChunk(q, at, scale, 12u); loadChunk(q, at, scale, 13u); loadChunk(q, at, scale, 14u); loadChunk(q, at, scale, 15u);
}

fn scoreChunk(s: ptr<function, Block>, q: ptr<function, Rows>, k: vec4u, c: u32) {
  if (c >= CHUNKS) { return; }
  let kx = qkv[k.x + c];
  let ky = qkv[k.y + c];
  let kz = qkv[k.z + c];
  let kw = qkv[k.w + c];
  let q0 = (*q)[c];
  let q1 = (*q)[MAX_CHUNKS + c];
  let q2 = (*q)[2u * MAX_CHUNKS + c];
  let q3 = (*q)[3u * MAX_CHUNKS + c];
  (*s).r0 += vec4f(dot(q0, kx), dot(q0, ky), dot(q0, kz), dot(q0, kw));
  (*s).r1 += vec4f(dot(q1, kx), dot(q1, ky), dot(q1, kz), dot(q1, kw));
  (*s).r2 += vec4f(dot(q2, kx), dot(q2, ky), dot(q2, kz), dot(q2, kw));
  (*s).r3 += vec4f(dot(q3, kx), dot(q3, ky), dot(q3, kz), dot(q3, kw));
}

// Scores of the 4 queries against the keys whose rows start at k.
fn scores(q: ptr<function, Rows>, k: vec4u) -> Block {
  var s: Block;
  scoreChunk(&s, q, k, 0u); scoreChunk(&s, q, k, 1u); scoreChunk(&s, q, k, 2u); scoreChunk(&s, q, k, 3u);
  scoreChunk(&s, q, k, 4u); scoreChunk(&s, q, k, 5u); scoreChunk(&s, q, k, 6u); scoreChunk(&s, q, k, 7u);
  scoreChunk(&s, q, k, 8u); scoreChunk(&s, q, k, 9u); scoreChunk(&s, q, k, 10u); scoreChunk(&s, q, k, 11u);
  scoreChunk(&s, q, k, 12u); scoreChunk(&s, q, k, 13u); scoreChunk(&s, q, k, 14u); scoreChunk(&s, q, k, 15u);
  return s;
}

fn accumulateChunk(a: ptr<function, Rows>, p: Block, rescale: vec4f, v: vec4u, c: u32) {
  if (c >= CHUNKS) { return; }
  let vx = qkv[v.x + c];
  let vy = qkv[v.y + c];
  let vz = qkv[v.z + c];
  let vw = qkv[v.w + c];
  (*a)[c] = (*a)[c] * rescale.x + p.r0.x * vx + p.r0.y * vy + p.r0.z * vz + p.r0.w * vw;
  (*a)[MAX_CHUNKS + c] = (*a)[MAX_CHUNKS + c] * rescale.y + p.r1.x * vx + p.r1.y * vy + p.r1.z * vz + p.r1.w * vw;
  (*a)[2u * MAX_CHUNKS + c] = (*a)[2u * MAX_CHUNKS + c] * rescale.z + p.r2.x * vx + p.r2.y * vy + p.r2.z * vz + p.r2.w * vw;
  (*a)[3u * MAX_CHUNKS + c] = (*a)[3u * MAX_CHUNKS + c] * rescale.w + p.r3.x * vx + p.r3.y * vy + p.r3.z * vz + p.r3.w * vw;
}

// a = a * rescale (per query) + p v, over the value rows starting at v.
fn accumulate(a: ptr<function, Rows>, p: Block, rescale: vec4f, v: vec4u) {
  accumulateChunk(a, p, rescale, v, 0u); accumulateChunk(a, p, rescale, v, 1u); accumulateChunk(a, p, rescale, v, 2u); accumulateChunk(a, p, rescale, v, 3u);
  accumulateChunk(a, p, rescale, v, 4u); accumulateChunk(a, p, rescale, v, 5u); accumulateChunk(a, p, rescale, v, 6u); accumulateChunk(a, p, rescale, v, 7u);
  accumulateChunk(a, p, rescale, v, 8u); accumulateChunk(a, p, rescale, v, 9u); accumulateChunk(a, p, rescale, v, 10u); accumulateChunk(a, p, rescale, v, 11u);
  accumulateChunk(a, p, rescale, v, 12u); accumulateChunk(a, p, rescale, v, 13u); accumulateChunk(a, p, rescale, v, 14u); accumulateChunk(a, p, rescale, v, 15u);
}

fn storeChunk(a: ptr<function, Rows>, o: vec4u, inv: vec4f, valid: vec4<bool>, c: u32) {
  if (c >= CHUNKS) { return; }
  if (valid.x) { out[o.x + c] = (*a)[c] * inv.x; }
  if (valid.y) { out[o.y + c] = (*a)[MAX_CHUNKS + c] * inv.y; }
  if (valid.z) { out[o.z + c] = (*a)[2u * MAX_CHUNKS + c] * inv.z; }
  if (valid.w) { out[o.w + c] = (*a)[3u * MAX_CHUNKS + c] * inv.w; }
}

fn store(a: ptr<function, Rows>, o: vec4u, inv: vec4f, valid: vec4<bool>) {
  storeChunk(a, o, inv, valid, 0u); storeChunk(a, o, inv, valid, 1u); storeChunk(a, o, inv, valid, 2u); storeChunk(a, o, inv, valid, 3u);
  storeChunk(a, o, inv, valid, 4u); storeChunk(a, o, inv, valid, 5u); storeChunk(a, o, inv, valid, 6u); storeChunk(a, o, inv, valid, 7u);
  storeChunk(a, o, inv, valid, 8u); storeChunk(a, o, inv, valid, 9u); storeChunk(a, o, inv, valid, 10u); storeChunk(a, o, inv, valid, 11u);
  storeChunk(a, o, inv, valid, 12u); storeChunk(a, o, inv, valid, 13u); storeChunk(a, o, inv, valid, 14u); storeChunk(a, o, inv, valid, 15u);
}

fn rowMax(s: vec4f) -> f32 {
  return max(max(s.x, s.y), max(s.z, s.w));
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  // x: (head, block) pairs of one sequence; y: the sequence, so that pipelines do not depend on the batch size.
  let blocks = (CONTEXT + 3u) / 4u;
  if (gid.x >= HEADS * blocks) { return; }
  let b = gid.y;
  let h = gid.x / blocks;
  let bh = b * HEADS + h;
  let ts = (gid.x % blocks) * 4u + vec4u(0u, 1u, 2u, 3u);
  let width = HEADS * CHUNKS;
  let stride = 3u * width;
  // q of token 0 for this head; k and v sit width and 2 * width further.
  let base = b * CONTEXT * stride + h * CHUNKS;
  // Queries past the end compute on the last row and are not stored.
  let tq = min(ts, vec4u(CONTEXT - 1u));
  let last = tq.w;

  var q: Rows;
  var a: Rows;
  loadQueries(&q, base + tq * stride, 1.4426950408889634 * inverseSqrt(f32(HEAD_DIM)));
  var m = vec4f(NEG_BIG);
  var l = vec4f(0.0);
  for (var u0 = 0u; u0 <= last; u0 += 4u) {
    let us = u0 + vec4u(0u, 1u, 2u, 3u);
    // Keys past the last query reload its row (in range, finite) and get weight 0.
    let k = base + min(us, vec4u(last)) * stride + width;
    var s = scores(&q, k);
    s.r0 = select(s.r0, vec4f(NEG_BIG), us > vec4u(tq.x));
    s.r1 = select(s.r1, vec4f(NEG_BIG), us > vec4u(tq.y));
    s.r2 = select(s.r2, vec4f(NEG_BIG), us > vec4u(tq.z));
    s.r3 = select(s.r3, vec4f(NEG_BIG), us > vec4u(tq.w));
    let mNew = max(m, vec4f(rowMax(s.r0), rowMax(s.r1), rowMax(s.r2), rowMax(s.r3)));
    let rescale = exp2(m - mNew);
    let p = Block(exp2(s.r0 - mNew.x), exp2(s.r1 - mNew.y), exp2(s.r2 - mNew.z), exp2(s.r3 - mNew.w));
    let ones = vec4f(1.0);
    l = l * rescale + vec4f(dot(p.r0, ones), dot(p.r1, ones), dot(p.r2, ones), dot(p.r3, ones));
    accumulate(&a, p, rescale, k + width);
    m = mNew;
  }
  let valid = ts < vec4u(CONTEXT);
  store(&a, (b * CONTEXT + ts) * width + h * CHUNKS, 1.0 / l, valid);
  let logSum = (m + log2(l)) * 0.6931471805599453;
  let r = bh * CONTEXT + ts;
  if (valid.x) { lse[r.x] = logSum.x; }
  if (valid.y) { lse[r.y] = logSum.y; }
  if (valid.z) { lse[r.z] = logSum.z; }
  if (valid.w) { lse[r.w] = logSum.w; }
}
