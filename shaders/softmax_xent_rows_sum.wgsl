// Second pass of softmax_xent_rows.wgsl: one invocation sums the ROWS per-row losses and correct flags and ADDS
// [loss sum, correct count, ROWS] to stats, so stats accumulate across steps until the host clears them. Sums of
// blocks of 64 rows are added to the total, so the f32 rounding grows with ROWS / 64 + 64 terms, not ROWS.

override ROWS: u32;

@group(0) @binding(0) var<storage, read> partials: array<f32>;
@group(0) @binding(1) var<storage, read_write> stats: array<f32, 3>;

@compute @workgroup_size(1)
fn main() {
  var loss = 0.0;
  var correct = 0.0;
  for (var first = 0u; first < ROWS; first += 64u) {
    var blockLoss = 0.0;
    for (var r = first; r < min(first + 64u, ROWS); r++) {
      blockLoss += partials[r];
      correct += partials[ROWS + r];
    }
    loss += blockLoss;
  }
  stats[0] += loss;
  stats[1] += correct;
  stats[2] += f32(ROWS);
}
