// Active columns of X [ROWS, COLS]: perm[0 .. count) lists the columns with a nonzero entry, ascending,
// perm[count .. COLS) the all-zero columns, ascending, and perm[COLS] = count. A matmul over X then visits
// only perm[0 .. count): most MNIST pixels are zero across a whole minibatch.
// One workgroup of 64, no atomics and three barriers, because SwiftShader makes barriers expensive: flag every
// column, count the flags in 64 contiguous chunks, scan the counts, then each invocation places its own chunk.

override ROWS: u32;
override COLS: u32;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> perm: array<u32>;

var<workgroup> isActive: array<u32, COLS>;
// before[i]: active columns in the chunks of invocations 0 .. i-1; before[64]: all of them.
var<workgroup> before: array<u32, 65>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32) {
  // Strided by column so that neighbouring invocations read neighbouring floats of each row.
  for (var j = lid; j < COLS; j += 64u) {
    var nonzero = 0u;
    for (var r = 0u; r < ROWS; r++) {
      if (x[r * COLS + j] != 0.0) {
        nonzero = 1u;
        break;
      }
    }
    isActive[j] = nonzero;
  }
  workgroupBarrier();

  // Contiguous chunks, so that placing a chunk in order keeps both lists ascending.
  let chunk = (COLS + 63u) / 64u;
  let start = min(COLS, lid * chunk);
  let end = min(COLS, start + chunk);
  var count = 0u;
  for (var j = start; j < end; j++) {
    count += isActive[j];
  }
  before[lid] = count;
  workgroupBarrier();

  if (lid == 0u) {
    var sum = 0u;
    for (var i = 0u; i < 64u; i++) {
      let c = before[i];
      before[i] = sum;
      sum += c;
    }
    before[64] = sum;
    perm[COLS] = sum;
  }
  workgroupBarrier();

  // The inactive columns before this chunk are the columns before it, less the active ones.
  var nextActive = before[lid];
  var nextInactive = before[64] + start - before[lid];
  for (var j = start; j < end; j++) {
    if (isActive[j] != 0u) {
      perm[nextActive] = j;
      nextActive++;
    } else {
      perm[nextInactive] = j;
      nextInactive++;
    }
  }
}
