// Column sums of a [ROWS, COLS] matrix, CHUNK rows at a time: out[chunk*COLS + col] sums rows
// chunk*CHUNK .. chunk*CHUNK+CHUNK-1 of column col. With CHUNK >= ROWS this is the whole bias gradient;
// with a smaller CHUNK it is the first of two passes (the second sums the chunks the same way).
// Neighbouring invocations read neighbouring columns, and no barrier is needed.

override ROWS: u32;
override COLS: u32;
override CHUNK: u32;

@group(0) @binding(0) var<storage, read> m: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let chunks = (ROWS + CHUNK - 1u) / CHUNK;
  let stride = groups.x * 64u;
  for (var i = gid.x; i < chunks * COLS; i += stride) {
    let col = i % COLS;
    let first = (i / COLS) * CHUNK;
    let last = min(first + CHUNK, ROWS);
    var sum = 0.0;
    for (var r = first; r < last; r++) {
      sum += m[r * COLS + col];
    }
    out[i] = sum;
  }
}
