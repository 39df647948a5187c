// Causal self-attention forward, as attention_forward.wgsl, but the 4 lanes of a quad share their loads: each loads
// one of the 4 key (value) rows of a block and takes the other 3 from its quad with quadBroadcast (one register
// shuffle on SwiftShader, where every storage load is a per-lane gather): a quarter of the loads, 1.3-1.6x faster
// kernels there. A quad is 4 consecutive invocations (subgroup_invocation_id = local_invocation_index mod 4, as on
// SwiftShader; client/gpu/attention.ts picks this variant by default only on such 4-wide adapters) working on 4 consecutive
// query blocks of one head, so blocks are padded to a multiple of 4 per head and the 4 lanes loop over the same
// keys (up to the quad's last query; later keys are masked per query).

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

// The quad's 4 rows, given this lane's.
fn quadRows(mine: vec4f) -> Block {
  return Block(quadBroadcast(mine, 0u), quadBroadcast(mine, 1u), quadBroadcast(mine, 2u), quadBroadcast(mine, 3u));
}

// k: the start of this lane's key row.
fn scoreChunk(s: ptr<function, Block>, q: ptr<function, Rows>, k: u32, c: u32) {
  if (c >= CHUNKS) { return; }
  let keys = quadRows(qkv[k + c]);
  let kx = keys.r0;
  let ky = keys.r1;
  let kz = keys.r2;
  let kw = keys.r3;
  let q0 = (*q)[c];
  let q1 = (*q)[MAX_CHUNKS + c];
  let q2 = (*q)[2u * MAX_CHUNKS + c];
  let q3 = (*q)[3u * MAX_CHUNKS + c];
  (*s).r0 += vec4f(dot(q0, kx), dot(q0, ky), dot(q0, kz), dot(q0, kw));
  (*s).r1 += vec4f(dot(q1, kx), dot(q1, ky), dot(q1, kz), dot(q1, kw));
  (*s).r2 += vec4f(dot(q2, kx), dot(q2, ky), dot(q2, kz), dot(q2, kw));
  (*s).r3 += vec4f(dot(q3, kx), dot(q3, ky), dot(q3, kz), dot(q3, kw));
}

// Scores of the 4 queries against the quad's 4 keys (this lane's row starts at k).
fn scores(q: ptr<function, Rows>, k: u32) -> Block {
  var s: Block;
  scoreChunk(&s, q, k, 0u); scoreChunk(&s, q, k, 1u); scoreChunk(&s, q, k, 2u); scoreChunk(&s, q, k, 3u);
  scoreChunk(&s, q, k, 4u); scoreChunk(&s, q, k, 5u); scoreChunk(&s, q, k, 6u); scoreChunk(&s, q, k, 7u);
  scoreChunk(&s, q, k, 8u); scoreChunk(&s, q, k, 9u); scoreChunk(&s, q, k, 10u); scoreChunk(&s, q, k, 11u);
  scoreChunk(&s, q, k, 12u); scoreChunk(&s, q, k, 13u); scoreChunk(&s, q, k, 14u); scoreChunk(&s, q, k, 15u);
  return s;
}

// v: the start of this lane's value row.
fn accumulateChunk(a: ptr<function, Rows>, p: Block, rescale: vec4f, v: u32, c: u32) {
  if (c >= CHUNKS) { return; }
  let values = quadRows(qkv[v + c]);
  let vx = values.r0;
  let vy = values.r1;
  let vz = values.r2;
  let vw = values.r3;
  (*a)[c] = (*a)[c] * rescale.x + p.r0.x * vx + p.r0.y * vy + p.r0.z * vz + p.r0.w * vw;
  (*a)[MAX_CHUNKS + c] = (*a)[MAX_CHUNKS + c] * rescale.y + p.r1.x * vx + p.r1.y * vy + p.r1.z * vz + p.r1.w * vw;
  (*a)[2u * MAX_CHUNKS + c] = (*a)[2u * MAX_CHUNKS + c] * rescale.z + p.r2.x * vx + p.r2.y * vy + p.r2.z * vz + p.r2.w * vw;
  (*a)[3u * MAX_CHUNKS + c] = (*a)[3u * MAX_CHUNKS + c] * rescale.w + p.r3.x * vx + p.r3.y * vy + p.r3.z * vz + p.r3.w * vw;
}

// a = a * rescale (per query) + p v, over the quad's 4 value rows (this lane's starts at v).
fn accumulate(a: ptr<function, Rows>, p: Block, rescale: vec4f, v: u32) {
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
  // q of token 0 for this head; k and v sit width and 2 * width further.
  let base = b * CONTEXT * stride + h * CHUNKS;
  // Queries past the end compute on the last row and are not stored.
  let tq = min(ts, vec4u(CONTEXT - 1u));
  // The quad's last query.
  let last = min(((gid.x % blocks) | 3u) * 4u + 3u, CONTEXT - 1u);

  var q: Rows;
  var a: Rows;
  loadQueries(&q, base + tq * stride, 1.4426950408889634 * inverseSqrt(f32(HEAD_DIM)));
  var m = vec4f(NEG_BIG);
  var l = vec4f(0.0);
  for (var u0 = 0u; u0 <= last; u0 += 4u) {
    let us = u0 + vec4u(0u, 1u, 2u, 3u);
    // This lane's key: past the quad's last query it reloads that row (in range, finite), weight 0.
    let k = base + min(u0 + lane % 4u, last) * stride + width;
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
