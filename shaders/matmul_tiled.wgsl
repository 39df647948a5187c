// C[m,n] = sum_k opA[m,k] * opB[k,n] (+ bias[n], then relu), tiled through workgroup memory: a workgroup of
// 8x8 invocations computes a 32x32 tile of C, each invocation a 4x4 block, stepping k by 32 with both
// operand tiles staged in shared memory (8 KiB). The layout real GPUs like; SwiftShader pays dearly for
// the barriers, so autotune normally picks matmul_vec4 there.

override M: u32;
override K: u32;
override N: u32;
override TRANS_A: bool = false; // A stored [K, M]
override TRANS_B: bool = false; // B stored [N, K]
override HAS_BIAS: bool = false;
override RELU: bool = false;
override GROUPS_X: u32 = 1; // tiles along x; the flat tile index folds y into x

const T = 32u;  // tile edge (rows, columns and k)
const S = 8u;   // invocations per tile edge
const R = 4u;   // T / S: block edge per invocation
override COL_TILES: u32 = (N + T - 1u) / T;
override TILES: u32 = ((M + T - 1u) / T) * COL_TILES;

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;

var<workgroup> tileA: array<array<f32, T>, T>; // [row][k]
var<workgroup> tileB: array<array<f32, T>, T>; // [k][col]

fn opA(row: u32, k: u32) -> f32 {
  if (row >= M || k >= K) {
    return 0.0;
  }
  return a[select(row * K + k, k * M + row, TRANS_A)];
}

fn opB(k: u32, col: u32) -> f32 {
  if (k >= K || col >= N) {
    return 0.0;
  }
  return b[select(k * N + col, col * K + k, TRANS_B)];
}

@compute @workgroup_size(8, 8)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  // Every invocation reaches every barrier, so out-of-range tiles still run the loop and store nothing.
  let tile = wid.y * GROUPS_X + wid.x;
  let row0 = (tile / COL_TILES) * T;
  let col0 = (tile % COL_TILES) * T;
  let flat = lid.y * S + lid.x;
  var acc: array<array<f32, R>, R>;
  for (var k0 = 0u; k0 < K; k0 += T) {
    // 64 invocations stage 1024 values per tile: 16 each, consecutive invocations on consecutive k
    // (A) or columns (B).
    for (var i = 0u; i < T * T / (S * S); i++) {
      let e = i * S * S + flat;
      let r = e / T;
      let q = e % T;
      tileA[r][q] = opA(row0 + r, k0 + q);
      tileB[r][q] = opB(k0 + r, col0 + q);
    }
    workgroupBarrier();
    for (var k = 0u; k < T; k++) {
      var av: array<f32, R>;
      var bv: array<f32, R>;
      for (var i = 0u; i < R; i++) {
        av[i] = tileA[lid.y * R + i][k];
        bv[i] = tileB[k][lid.x + i * S];
      }
      for (var i = 0u; i < R; i++) {
        for (var j = 0u; j < R; j++) {
          acc[i][j] += av[i] * bv[j];
        }
      }
    }
    workgroupBarrier();
  }
  if (tile >= TILES) {
    return;
  }
  for (var i = 0u; i < R; i++) {
    let row = row0 + lid.y * R + i;
    for (var j = 0u; j < R; j++) {
      // Columns interleave by S so that neighbouring invocations write neighbouring columns.
      let col = col0 + lid.x + j * S;
      if (row < M && col < N) {
        var v = acc[i][j];
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
}
