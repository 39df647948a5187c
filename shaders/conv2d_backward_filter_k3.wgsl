// Conv2d backward-filter for kernel == 3 and cin >= 4, pass 1 of 2 (split-K; pass 2 is
// conv2d_backward_filter_reduce.wgsl): partial sums of dw and db over a chunk of image rows.
// Each invocation owns all 9 taps x 4 input channels x 4 output channels. It walks each row with a sliding 3 x 3
// window: per pixel it loads one new input column (3 rows x 4 channels) and 4 dy values for 144 multiply-adds.
// db (dy summed over pixels) comes from the same dy loads; the invocations of input-channel block 0 write it.
// Partial layout as in conv2d_backward_filter.wgsl: [chunk][(tap * cin + ci) or bias row][cout].
// Needs cin >= 4 and cout >= 4 (the wrapper checks).

override batch: u32;
override height: u32;
override width: u32;
override cin: u32;
override cout: u32;
override chunkRows: u32;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
/** [chunk][row 0..9 * cin][cout] */
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;

const CI = 4u; // input channels per invocation
const CO = 4u; // output channels per invocation

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let ciBlocks = (cin + CI - 1u) / CI;
  let coBlocks = (cout + CO - 1u) / CO;
  let rows = batch * height;
  let chunks = (rows + chunkRows - 1u) / chunkRows;
  let id = gid.x + gid.y * groups.x * 64u;
  if (id >= chunks * ciBlocks * coBlocks) { return; }
  // Last blocks move back to end at cout / cin, so loads stay in bounds; each stores only from con / cin0 on.
  let con = (id % coBlocks) * CO;
  let co0 = min(con, cout - CO);
  let rest = id / coBlocks;
  let cin0 = (rest % ciBlocks) * CI;
  let ci0 = min(cin0, cin - CI);
  let chunk = rest / ciBlocks;
  var a0_0_0 = 0.0; var a0_0_1 = 0.0; var a0_0_2 = 0.0; var a0_0_3 = 0.0;
  var a0_1_0 = 0.0; var a0_1_1 = 0.0; var a0_1_2 = 0.0; var a0_1_3 = 0.0;
  var a0_2_0 = 0.0; var a0_2_1 = 0.0; var a0_2_2 = 0.0; var a0_2_3 = 0.0;
  var a0_3_0 = 0.0; var a0_3_1 = 0.0; var a0_3_2 = 0.0; var a0_3_3 = 0.0;
  var a1_0_0 = 0.0; var a1_0_1 = 0.0; var a1_0_2 = 0.0; var a1_0_3 = 0.0;
  var a1_1_0 = 0.0; var a1_1_1 = 0.0; var a1_1_2 = 0.0; var a1_1_3 = 0.0;
  var a1_2_0 = 0.0; var a1_2_1 = 0.0; var a1_2_2 = 0.0; var a1_2_3 = 0.0;
  var a1_3_0 = 0.0; var a1_3_1 = 0.0; var a1_3_2 = 0.0; var a1_3_3 = 0.0;
  var a2_0_0 = 0.0; var a2_0_1 = 0.0; var a2_0_2 = 0.0; var a2_0_3 = 0.0;
  var a2_1_0 = 0.0; var a2_1_1 = 0.0; var a2_1_2 = 0.0; var a2_1_3 = 0.0;
  var a2_2_0 = 0.0; var a2_2_1 = 0.0; var a2_2_2 = 0.0; var a2_2_3 = 0.0;
  var a2_3_0 = 0.0; var a2_3_1 = 0.0; var a2_3_2 = 0.0; var a2_3_3 = 0.0;
  var a3_0_0 = 0.0; var a3_0_1 = 0.0; var a3_0_2 = 0.0; var a3_0_3 = 0.0;
  var a3_1_0 = 0.0; var a3_1_1 = 0.0; var a3_1_2 = 0.0; var a3_1_3 = 0.0;
  var a3_2_0 = 0.0; var a3_2_1 = 0.0; var a3_2_2 = 0.0; var a3_2_3 = 0.0;
  var a3_3_0 = 0.0; var a3_3_1 = 0.0; var a3_3_2 = 0.0; var a3_3_3 = 0.0;
  var a4_0_0 = 0.0; var a4_0_1 = 0.0; var a4_0_2 = 0.0; var a4_0_3 = 0.0;
  var a4_1_0 = 0.0; var a4_1_1 = 0.0; var a4_1_2 = 0.0; var a4_1_3 = 0.0;
  var a4_2_0 = 0.0; var a4_2_1 = 0.0; var a4_2_2 = 0.0; var a4_2_3 = 0.0;
  var a4_3_0 = 0.0; var a4_3_1 = 0.0; var a4_3_2 = 0.0; var a4_3_3 = 0.0;
  var a5_0_0 = 0.0; var a5_0_1 = 0.0; var a5_0_2 = 0.0; var a5_0_3 = 0.0;
  var a5_1_0 = 0.0; var a5_1_1 = 0.0; var a5_1_2 = 0.0; var a5_1_3 = 0.0;
  var a5_2_0 = 0.0; var a5_2_1 = 0.0; var a5_2_2 = 0.0; var a5_2_3 = 0.0;
  var a5_3_0 = 0.0; var a5_3_1 = 0.0; var a5_3_2 = 0.0; var a5_3_3 = 0.0;
  var a6_0_0 = 0.0; var a6_0_1 = 0.0; var a6_0_2 = 0.0; var a6_0_3 = 0.0;
  var a6_1_0 = 0.0; var a6_1_1 = 0.0; var a6_1_2 = 0.0; var a6_1_3 = 0.0;
  var a6_2_0 = 0.0; var a6_2_1 = 0.0; var a6_2_2 = 0.0; var a6_2_3 = 0.0;
  var a6_3_0 = 0.0; var a6_3_1 = 0.0; var a6_3_2 = 0.0; var a6_3_3 = 0.0;
  var a7_0_0 = 0.0; var a7_0_1 = 0.0; var a7_0_2 = 0.0; var a7_0_3 = 0.0;
  var a7_1_0 = 0.0; var a7_1_1 = 0.0; var a7_1_2 = 0.0; var a7_1_3 = 0.0;
  var a7_2_0 = 0.0; var a7_2_1 = 0.0; var a7_2_2 = 0.0; var a7_2_3 = 0.0;
  var a7_3_0 = 0.0; var a7_3_1 = 0.0; var a7_3_2 = 0.0; var a7_3_3 = 0.0;
  var a8_0_0 = 0.0; var a8_0_1 = 0.0; var a8_0_2 = 0.0; var a8_0_3 = 0.0;
  var a8_1_0 = 0.0; var a8_1_1 = 0.0; var a8_1_2 = 0.0; var a8_1_3 = 0.0;
  var a8_2_0 = 0.0; var a8_2_1 = 0.0; var a8_2_2 = 0.0; var a8_2_3 = 0.0;
  var a8_3_0 = 0.0; var a8_3_1 = 0.0; var a8_3_2 = 0.0; var a8_3_3 = 0.0;
  var d0 = 0.0; var d1 = 0.0; var d2 = 0.0; var d3 = 0.0;
  let lastColumn = (width - 1u) * cin;
  for (var row = chunk * chunkRows; row < min(rows, (chunk + 1u) * chunkRows); row++) {
    // Input rows h - 1, h, h + 1 of the same image: clamped, and a 0 factor when outside.
    let h = row % height;
    let ok0 = u32(i32(h) + -1) < height;
    let rb0 = select(row, row + 0u - 1u, ok0) * width * cin + ci0;
    let g0 = select(0.0, 1.0, ok0);
    let ok1 = u32(i32(h) + 0) < height;
    let rb1 = select(row, row + 1u - 1u, ok1) * width * cin + ci0;
    let g1 = select(0.0, 1.0, ok1);
    let ok2 = u32(i32(h) + 1) < height;
    let rb2 = select(row, row + 2u - 1u, ok2) * width * cin + ci0;
    let g2 = select(0.0, 1.0, ok2);
    // Window columns w - 1 (xa), w (xb), w + 1 (xc); column -1 is zero padding.
    var xa0_0 = 0.0; var xa0_1 = 0.0; var xa0_2 = 0.0; var xa0_3 = 0.0;
    var xb0_0 = x[rb0 + 0u] * g0; var xb0_1 = x[rb0 + 1u] * g0; var xb0_2 = x[rb0 + 2u] * g0; var xb0_3 = x[rb0 + 3u] * g0;
    var xa1_0 = 0.0; var xa1_1 = 0.0; var xa1_2 = 0.0; var xa1_3 = 0.0;
    var xb1_0 = x[rb1 + 0u] * g1; var xb1_1 = x[rb1 + 1u] * g1; var xb1_2 = x[rb1 + 2u] * g1; var xb1_3 = x[rb1 + 3u] * g1;
    var xa2_0 = 0.0; var xa2_1 = 0.0; var xa2_2 = 0.0; var xa2_3 = 0.0;
    var xb2_0 = x[rb2 + 0u] * g2; var xb2_1 = x[rb2 + 1u] * g2; var xb2_2 = x[rb2 + 2u] * g2; var xb2_3 = x[rb2 + 3u] * g2;
    var dyAt = row * width * cout + co0;
    var next = cin;
    for (var w = 0u; w < width; w++) {
      let inside = select(0.0, 1.0, w + 1u < width);
      let xn = min(next, lastColumn);
      let xc0_0 = x[rb0 + xn + 0u] * g0 * inside; let xc0_1 = x[rb0 + xn + 1u] * g0 * inside; let xc0_2 = x[rb0 + xn + 2u] * g0 * inside; let xc0_3 = x[rb0 + xn + 3u] * g0 * inside;
      let xc1_0 = x[rb1 + xn + 0u] * g1 * inside; let xc1_1 = x[rb1 + xn + 1u] * g1 * inside; let xc1_2 = x[rb1 + xn + 2u] * g1 * inside; let xc1_3 = x[rb1 + xn + 3u] * g1 * inside;
      let xc2_0 = x[rb2 + xn + 0u] * g2 * inside; let xc2_1 = x[rb2 + xn + 1u] * g2 * inside; let xc2_2 = x[rb2 + xn + 2u] * g2 * inside; let xc2_3 = x[rb2 + xn + 3u] * g2 * inside;
      let e0 = dy[dyAt + 0u]; let e1 = dy[dyAt + 1u]; let e2 = dy[dyAt + 2u]; let e3 = dy[dyAt + 3u];
      d0 += e0; d1 += e1; d2 += e2; d3 += e3;
      a0_0_0 += xa0_0 * e0; a0_0_1 += xa0_0 * e1; a0_0_2 += xa0_0 * e2; a0_0_3 += xa0_0 * e3;
      a0_1_0 += xa0_1 * e0; a0_1_1 += xa0_1 * e1; a0_1_2 += xa0_1 * e2; a0_1_3 += xa0_1 * e3;
      a0_2_0 += xa0_2 * e0; a0_2_1 += xa0_2 * e1; a0_2_2 += xa0_2 * e2; a0_2_3 += xa0_2 * e3;
      a0_3_0 += xa0_3 * e0; a0_3_1 += xa0_3 * e1; a0_3_2 += xa0_3 * e2; a0_3_3 += xa0_3 * e3;
      a1_0_0 += xb0_0 * e0; a1_0_1 += xb0_0 * e1; a1_0_2 += xb0_0 * e2; a1_0_3 += xb0_0 * e3;
      a1_1_0 += xb0_1 * e0; a1_1_1 += xb0_1 * e1; a1_1_2 += xb0_1 * e2; a1_1_3 += xb0_1 * e3;
      a1_2_0 += xb0_2 * e0; a1_2_1 += xb0_2 * e1; a1_2_2 += xb0_2 * e2; a1_2_3 += xb0_2 * e3;
      a1_3_0 += xb0_3 * e0; a1_3_1 += xb0_3 * e1; a1_3_2 += xb0_3 * e2; a1_3_3 += xb0_3 * e3;
      a2_0_0 += xc0_0 * e0; a2_0_1 += xc0_0 * e1; a2_0_2 += xc0_0 * e2; a2_0_3 += xc0_0 * e3;
      a2_1_0 += xc0_1 * e0; a2_1_1 += xc0_1 * e1; a2_1_2 += xc0_1 * e2; a2_1_3 += xc0_1 * e3;
      a2_2_0 += xc0_2 * e0; a2_2_1 += xc0_2 * e1; a2_2_2 += xc0_2 * e2; a2_2_3 += xc0_2 * e3;
      a2_3_0 += xc0_3 * e0; a2_3_1 += xc0_3 * e1; a2_3_2 += xc0_3 * e2; a2_3_3 += xc0_3 * e3;
      a3_0_0 += xa1_0 * e0; a3_0_1 += xa1_0 * e1; a3_0_2 += xa1_0 * e2; a3_0_3 += xa1_0 * e3;
      a3_1_0 += xa1_1 * e0; a3_1_1 += xa1_1 * e1; a3_1_2 += xa1_1 * e2; a3_1_3 += xa1_1 * e3;
      a3_2_0 += xa1_2 * e0; a3_2_1 += xa1_2 * e1; a3_2_2 += xa1_2 * e2; a3_2_3 += xa1_2 * e3;
      a3_3_0 += xa1_3 * e0; a3_3_1 += xa1_3 * e1; a3_3_2 += xa1_3 * e2; a3_3_3 += xa1_3 * e3;
      a4_0_0 += xb1_0 * e0; a4_0_1 += xb1_0 * e1; a4_0_2 += xb1_0 * e2; a4_0_3 += xb1_0 * e3;
      a4_1_0 += xb1_1 * e0; a4_1_1 += xb1_1 * e1; a4_1_2 += xb1_1 * e2; a4_1_3 += xb1_1 * e3;
      a4_2_0 += xb1_2 * e0; a4_2_1 += xb1_2 * e1; a4_2_2 += xb1_2 * e2; a4_2_3 += xb1_2 * e3;
      a4_3_0 += xb1_3 * e0; a4_3_1 += xb1_3 * e1; a4_3_2 += xb1_3 * e2; a4_3_3 += xb1_3 * e3;
      a5_0_0 += xc1_0 * e0; a5_0_1 += xc1_0 * e1; a5_0_2 += xc1_0 * e2; a5_0_3 += xc1_0 * e3;
      a5_1_0 += xc1_1 * e0; a5_1_1 += xc1_1 * e1; a5_1_2 += xc1_1 * e2; a5_1_3 += xc1_1 * e3;
      a5_2_0 += xc1_2 * e0; a5_2_1 += xc1_2 * e1; a5_2_2 += xc1_2 * e2; a5_2_3 += xc1_2 * e3;
      a5_3_0 += xc1_3 * e0; a5_3_1 += xc1_3 * e1; a5_3_2 += xc1_3 * e2; a5_3_3 += xc1_3 * e3;
      a6_0_0 += xa2_0 * e0; a6_0_1 += xa2_0 * e1; a6_0_2 += xa2_0 * e2; a6_0_3 += xa2_0 * e3;
      a6_1_0 += xa2_1 * e0; a6_1_1 += xa2_1 * e1; a6_1_2 += xa2_1 * e2; a6_1_3 += xa2_1 * e3;
      a6_2_0 += xa2_2 * e0; a6_2_1 += xa2_2 * e1; a6_2_2 += xa2_2 * e2; a6_2_3 += xa2_2 * e3;
      a6_3_0 += xa2_3 * e0; a6_3_1 += xa2_3 * e1; a6_3_2 += xa2_3 * e2; a6_3_3 += xa2_3 * e3;
      a7_0_0 += xb2_0 * e0; a7_0_1 += xb2_0 * e1; a7_0_2 += xb2_0 * e2; a7_0_3 += xb2_0 * e3;
      a7_1_0 += xb2_1 * e0; a7_1_1 += xb2_1 * e1; a7_1_2 += xb2_1 * e2; a7_1_3 += xb2_1 * e3;
      a7_2_0 += xb2_2 * e0; a7_2_1 += xb2_2 * e1; a7_2_2 += xb2_2 * e2; a7_2_3 += xb2_2 * e3;
      a7_3_0 += xb2_3 * e0; a7_3_1 += xb2_3 * e1; a7_3_2 += xb2_3 * e2; a7_3_3 += xb2_3 * e3;
      a8_0_0 += xc2_0 * e0; a8_0_1 += xc2_0 * e1; a8_0_2 += xc2_0 * e2; a8_0_3 += xc2_0 * e3;
      a8_1_0 += xc2_1 * e0; a8_1_1 += xc2_1 * e1; a8_1_2 += xc2_1 * e2; a8_1_3 += xc2_1 * e3;
      a8_2_0 += xc2_2 * e0; a8_2_1 += xc2_2 * e1; a8_2_2 += xc2_2 * e2; a8_2_3 += xc2_2 * e3;
      a8_3_0 += xc2_3 * e0; a8_3_1 += xc2_3 * e1; a8_3_2 += xc2_3 * e2; a8_3_3 += xc2_3 * e3;
      xa0_0 = xb0_0; xb0_0 = xc0_0; xa0_1 = xb0_1; xb0_1 = xc0_1; xa0_2 = xb0_2; xb0_2 = xc0_2; xa0_3 = xb0_3; xb0_3 = xc0_3;
      xa1_0 = xb1_0; xb1_0 = xc1_0; xa1_1 = xb1_1; xb1_1 = xc1_1; xa1_2 = xb1_2; xb1_2 = xc1_2; xa1_3 = xb1_3; xb1_3 = xc1_3;
      xa2_0 = xb2_0; xb2_0 = xc2_0; xa2_1 = xb2_1; xb2_1 = xc2_1; xa2_2 = xb2_2; xb2_2 = xc2_2; xa2_3 = xb2_3; xb2_3 = xc2_3;
      dyAt += cout;
      next += cin;
    }
  }
  let out0 = chunk * (9u * cin + 1u) * cout + co0;
  if (ci0 + 0u >= cin0) {
    let r = out0 + (0u * cin + ci0 + 0u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a0_0_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a0_0_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a0_0_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a0_0_3; }
  }
  if (ci0 + 1u >= cin0) {
    let r = out0 + (0u * cin + ci0 + 1u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a0_1_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a0_1_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a0_1_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a0_1_3; }
  }
  if (ci0 + 2u >= cin0) {
    let r = out0 + (0u * cin + ci0 + 2u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a0_2_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a0_2_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a0_2_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a0_2_3; }
  }
  if (ci0 + 3u >= cin0) {
    let r = out0 + (0u * cin + ci0 + 3u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a0_3_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a0_3_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a0_3_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a0_3_3; }
  }
  if (ci0 + 0u >= cin0) {
    let r = out0 + (1u * cin + ci0 + 0u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a1_0_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a1_0_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a1_0_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a1_0_3; }
  }
  if (ci0 + 1u >= cin0) {
    let r = out0 + (1u * cin + ci0 + 1u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a1_1_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a1_1_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a1_1_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a1_1_3; }
  }
  if (ci0 + 2u >= cin0) {
    let r = out0 + (1u * cin + ci0 + 2u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a1_2_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a1_2_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a1_2_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a1_2_3; }
  }
  if (ci0 + 3u >= cin0) {
    let r = out0 + (1u * cin + ci0 + 3u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a1_3_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a1_3_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a1_3_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a1_3_3; }
  }
  if (ci0 + 0u >= cin0) {
    let r = out0 + (2u * cin + ci0 + 0u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a2_0_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a2_0_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a2_0_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a2_0_3; }
  }
  if (ci0 + 1u >= cin0) {
    let r = out0 + (2u * cin + ci0 + 1u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a2_1_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a2_1_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a2_1_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a2_1_3; }
  }
  if (ci0 + 2u >= cin0) {
    let r = out0 + (2u * cin + ci0 + 2u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a2_2_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a2_2_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a2_2_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a2_2_3; }
  }
  if (ci0 + 3u >= cin0) {
    let r = out0 + (2u * cin + ci0 + 3u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a2_3_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a2_3_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a2_3_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a2_3_3; }
  }
  if (ci0 + 0u >= cin0) {
    let r = out0 + (3u * cin + ci0 + 0u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a3_0_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a3_0_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a3_0_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a3_0_3; }
  }
  if (ci0 + 1u >= cin0) {
    let r = out0 + (3u * cin + ci0 + 1u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a3_1_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a3_1_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a3_1_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a3_1_3; }
  }
  if (ci0 + 2u >= cin0) {
    let r = out0 + (3u * cin + ci0 + 2u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a3_2_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a3_2_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a3_2_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a3_2_3; }
  }
  if (ci0 + 3u >= cin0) {
    let r = out0 + (3u * cin + ci0 + 3u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a3_3_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a3_3_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a3_3_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a3_3_3; }
  }
  if (ci0 + 0u >= cin0) {
    let r = out0 + (4u * cin + ci0 + 0u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a4_0_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a4_0_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a4_0_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a4_0_3; }
  }
  if (ci0 + 1u >= cin0) {
    let r = out0 + (4u * cin + ci0 + 1u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a4_1_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a4_1_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a4_1_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a4_1_3; }
  }
  if (ci0 + 2u >= cin0) {
    let r = out0 + (4u * cin + ci0 + 2u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a4_2_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a4_2_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a4_2_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a4_2_3; }
  }
  if (ci0 + 3u >= cin0) {
    let r = out0 + (4u * cin + ci0 + 3u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a4_3_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a4_3_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a4_3_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a4_3_3; }
  }
  if (ci0 + 0u >= cin0) {
    let r = out0 + (5u * cin + ci0 + 0u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a5_0_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a5_0_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a5_0_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a5_0_3; }
  }
  if (ci0 + 1u >= cin0) {
    let r = out0 + (5u * cin + ci0 + 1u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a5_1_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a5_1_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a5_1_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a5_1_3; }
  }
  if (ci0 + 2u >= cin0) {
    let r = out0 + (5u * cin + ci0 + 2u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a5_2_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a5_2_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a5_2_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a5_2_3; }
  }
  if (ci0 + 3u >= cin0) {
    let r = out0 + (5u * cin + ci0 + 3u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a5_3_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a5_3_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a5_3_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a5_3_3; }
  }
  if (ci0 + 0u >= cin0) {
    let r = out0 + (6u * cin + ci0 + 0u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a6_0_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a6_0_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a6_0_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a6_0_3; }
  }
  if (ci0 + 1u >= cin0) {
    let r = out0 + (6u * cin + ci0 + 1u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a6_1_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a6_1_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a6_1_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a6_1_3; }
  }
  if (ci0 + 2u >= cin0) {
    let r = out0 + (6u * cin + ci0 + 2u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a6_2_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a6_2_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a6_2_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a6_2_3; }
  }
  if (ci0 + 3u >= cin0) {
    let r = out0 + (6u * cin + ci0 + 3u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a6_3_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a6_3_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a6_3_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a6_3_3; }
  }
  if (ci0 + 0u >= cin0) {
    let r = out0 + (7u * cin + ci0 + 0u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a7_0_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a7_0_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a7_0_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a7_0_3; }
  }
  if (ci0 + 1u >= cin0) {
    let r = out0 + (7u * cin + ci0 + 1u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a7_1_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a7_1_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a7_1_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a7_1_3; }
  }
  if (ci0 + 2u >= cin0) {
    let r = out0 + (7u * cin + ci0 + 2u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a7_2_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a7_2_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a7_2_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a7_2_3; }
  }
  if (ci0 + 3u >= cin0) {
    let r = out0 + (7u * cin + ci0 + 3u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a7_3_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a7_3_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a7_3_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a7_3_3; }
  }
  if (ci0 + 0u >= cin0) {
    let r = out0 + (8u * cin + ci0 + 0u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a8_0_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a8_0_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a8_0_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a8_0_3; }
  }
  if (ci0 + 1u >= cin0) {
    let r = out0 + (8u * cin + ci0 + 1u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a8_1_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a8_1_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a8_1_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a8_1_3; }
  }
  if (ci0 + 2u >= cin0) {
    let r = out0 + (8u * cin + ci0 + 2u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a8_2_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a8_2_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a8_2_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a8_2_3; }
  }
  if (ci0 + 3u >= cin0) {
    let r = out0 + (8u * cin + ci0 + 3u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a8_3_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a8_3_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a8_3_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a8_3_3; }
  }
  if (cin0 == 0u) {
    let r = out0 + 9u * cin * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = d0; }
    if (co0 + 1u >= con) { partial[r + 1u] = d1; }
    if (co0 + 2u >= con) { partial[r + 2u] = d2; }
    if (co0 + 3u >= con) { partial[r + 3u] = d3; }
  }
}
