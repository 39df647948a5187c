// C[m,n] = sum_k opA[m,k] * opB[k,n] (+ bias[n], then relu), register-blocked: each invocation owns an
// 8x8 block of C held in 16 vec4 accumulators, with no shared memory and no barriers.
// Loads are scalar from array<f32>: SwiftShader gathers every component of a vector load lane by lane
// anyway, and scalars work for every size, transpose and alignment. What pays is reuse: each k step loads
// 8 + 8 values and does 64 multiply-adds. The k loop is unrolled by 4 (loop overhead is large on SwiftShader).
// Plain multiply-add, not fma(): SwiftShader's Subzero backend emulates fma() and it measured 1.6x slower.
// Edge blocks clamp their load indices into range and skip the stores that fall outside C.

override M: u32;
override K: u32;
override N: u32;
override TRANS_A: bool = false; // A stored [K, M]
override TRANS_B: bool = false; // B stored [N, K]
override HAS_BIAS: bool = false;
override RELU: bool = false;
override WG: u32 = 64;
override GROUPS_X: u32 = 1; // workgroups along x; the flat block index folds y into x

const TM = 8u;
const TN = 8u;
// Derived from the sizes above; not meant to be set by the caller.
override COL_BLOCKS: u32 = (N + TN - 1u) / TN;
override BLOCKS: u32 = ((M + TM - 1u) / TM) * COL_BLOCKS;
// Distance between consecutive k of one row of opA / one column of opB.
override A_STEP: u32 = select(1u, M, TRANS_A);
override B_STEP: u32 = select(N, 1u, TRANS_B);

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;

fn aBase(row: u32) -> u32 {
  let r = min(row, M - 1u);
  return select(r * K, r, TRANS_A);
}

fn bBase(col: u32) -> u32 {
  let j = min(col, N - 1u);
  return select(j, j * K, TRANS_B);
}

// Bases of the 8 rows of opA and 8 columns of opB this invocation reads.
struct Bases {
  a: array<u32, 8>,
  b: array<u32, 8>,
}

// The 8x8 block of C: rIh holds row I, columns 4h..4h+3. Passed by value through step() so the
// accumulators stay plain values rather than an array variable in memory.
struct Block {
  r00: vec4f,
  r01: vec4f,
  r10: vec4f,
  r11: vec4f,
  r20: vec4f,
  r21: vec4f,
  r30: vec4f,
  r31: vec4f,
  r40: vec4f,
  r41: vec4f,
  r50: vec4f,
  r51: vec4f,
  r60: vec4f,
  r61: vec4f,
  r70: vec4f,
  r71: vec4f,
}

fn step(s: Block, o: Bases, k: u32) -> Block {
  let ka = k * A_STEP;
  let kb = k * B_STEP;
  let b0 = vec4f(b[o.b[0] + kb], b[o.b[1] + kb], b[o.b[2] + kb], b[o.b[3] + kb]);
  let b1 = vec4f(b[o.b[4] + kb], b[o.b[5] + kb], b[o.b[6] + kb], b[o.b[7] + kb]);
  let a0 = a[o.a[0] + ka];
  let a1 = a[o.a[1] + ka];
  let a2 = a[o.a[2] + ka];
  let a3 = a[o.a[3] + ka];
  let a4 = a[o.a[4] + ka];
  let a5 = a[o.a[5] + ka];
  let a6 = a[o.a[6] + ka];
  let a7 = a[o.a[7] + ka];
  return Block(
    s.r00 + a0 * b0,
    s.r01 + a0 * b1,
    s.r10 + a1 * b0,
    s.r11 + a1 * b1,
    s.r20 + a2 * b0,
    s.r21 + a2 * b1,
    s.r30 + a3 * b0,
    s.r31 + a3 * b1,
    s.r40 + a4 * b0,
    s.r41 + a4 * b1,
    s.r50 + a5 * b0,
    s.r51 + a5 * b1,
    s.r60 + a6 * b0,
    s.r61 + a6 * b1,
    s.r70 + a7 * b0,
    s.r71 + a7 * b1);
}

fn storeRow(row: u32, col0: u32, lo: vec4f, hi: vec4f) {
  if (row >= M) {
    return;
  }
  for (var j = 0u; j < TN; j++) {
    let col = col0 + j;
    if (col < N) {
      var v = select(lo[j & 3u], hi[j & 3u], j >= 4u);
      if (HAS_BIAS) {
        v += bias[col];
      }
      if (RELU) {
        v = max(v, 0.0);
      }
      c[row * N + col] = v;
    }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let block = (wid.y * GROUPS_X + wid.x) * WG + lid;
  if (block >= BLOCKS) {
    return;
  }
  let row0 = (block / COL_BLOCKS) * TM;
  let col0 = (block % COL_BLOCKS) * TN;
  let o = Bases(
    array<u32, 8>(aBase(row0), aBase(row0 + 1u), aBase(row0 + 2u), aBase(row0 + 3u),
                  aBase(row0 + 4u), aBase(row0 + 5u), aBase(row0 + 6u), aBase(row0 + 7u)),
    array<u32, 8>(bBase(col0), bBase(col0 + 1u), bBase(col0 + 2u), bBase(col0 + 3u),
                  bBase(col0 + 4u), bBase(col0 + 5u), bBase(col0 + 6u), bBase(col0 + 7u)));
  var s = Block();
  var k = 0u;
  for (; k + 4u <= K; k += 4u) {
    s = step(step(step(step(s, o, k), o, k + 1u), o, k + 2u), o, k + 3u);
  }
  for (; k < K; k++) {
    s = step(s, o, k);
  }
  storeRow(row0, col0, s.r00, s.r01);
  storeRow(row0 + 1u, col0, s.r10, s.r11);
  storeRow(row0 + 2u, col0, s.r20, s.r21);
  storeRow(row0 + 3u, col0, s.r30, s.r31);
  storeRow(row0 + 4u, col0, s.r40, s.r41);
  storeRow(row0 + 5u, col0, s.r50, s.r51);
  storeRow(row0 + 6u, col0, s.r60, s.r61);
  storeRow(row0 + 7u, col0, s.r70, s.r71);
}
