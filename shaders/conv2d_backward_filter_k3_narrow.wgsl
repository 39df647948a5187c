// Conv2d backward-filter for kernel == 3 and cin < 4 (conv1 of a CNN), pass 1 of 2: as
// conv2d_backward_filter_k3.wgsl but with 1 input channel x 8 output channels per invocation.
// Partial layout as in conv2d_backward_filter.wgsl: [chunk][(tap * cin + ci) or bias row][cout].
// Needs cin >= 1 and cout >= 8 (the wrapper checks).

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

const CI = 1u; // input channels per invocation
const CO = 8u; // output channels per invocation

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
  var a0_0_0 = 0.0; var a0_0_1 = 0.0; var a0_0_2 = 0.0; var a0_0_3 = 0.0; var a0_0_4 = 0.0; var a0_0_5 = 0.0; var a0_0_6 = 0.0; var a0_0_7 = 0.0;
  var a1_0_0 = 0.0; var a1_0_1 = 0.0; var a1_0_2 = 0.0; var a1_0_3 = 0.0; var a1_0_4 = 0.0; var a1_0_5 = 0.0; var a1_0_6 = 0.0; var a1_0_7 = 0.0;
  var a2_0_0 = 0.0; var a2_0_1 = 0.0; var a2_0_2 = 0.0; var a2_0_3 = 0.0; var a2_0_4 = 0.0; var a2_0_5 = 0.0; var a2_0_6 = 0.0; var a2_0_7 = 0.0;
  var a3_0_0 = 0.0; var a3_0_1 = 0.0; var a3_0_2 = 0.0; var a3_0_3 = 0.0; var a3_0_4 = 0.0; var a3_0_5 = 0.0; var a3_0_6 = 0.0; var a3_0_7 = 0.0;
  var a4_0_0 = 0.0; var a4_0_1 = 0.0; var a4_0_2 = 0.0; var a4_0_3 = 0.0; var a4_0_4 = 0.0; var a4_0_5 = 0.0; var a4_0_6 = 0.0; var a4_0_7 = 0.0;
  var a5_0_0 = 0.0; var a5_0_1 = 0.0; var a5_0_2 = 0.0; var a5_0_3 = 0.0; var a5_0_4 = 0.0; var a5_0_5 = 0.0; var a5_0_6 = 0.0; var a5_0_7 = 0.0;
  var a6_0_0 = 0.0; var a6_0_1 = 0.0; var a6_0_2 = 0.0; var a6_0_3 = 0.0; var a6_0_4 = 0.0; var a6_0_5 = 0.0; var a6_0_6 = 0.0; var a6_0_7 = 0.0;
  var a7_0_0 = 0.0; var a7_0_1 = 0.0; var a7_0_2 = 0.0; var a7_0_3 = 0.0; var a7_0_4 = 0.0; var a7_0_5 = 0.0; var a7_0_6 = 0.0; var a7_0_7 = 0.0;
  var a8_0_0 = 0.0; var a8_0_1 = 0.0; var a8_0_2 = 0.0; var a8_0_3 = 0.0; var a8_0_4 = 0.0; var a8_0_5 = 0.0; var a8_0_6 = 0.0; var a8_0_7 = 0.0;
  var d0 = 0.0; var d1 = 0.0; var d2 = 0.0; var d3 = 0.0; var d4 = 0.0; var d5 = 0.0; var d6 = 0.0; var d7 = 0.0;
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
    var xa0_0 = 0.0;
    var xb0_0 = x[rb0 + 0u] * g0;
    var xa1_0 = 0.0;
    var xb1_0 = x[rb1 + 0u] * g1;
    var xa2_0 = 0.0;
    var xb2_0 = x[rb2 + 0u] * g2;
    var dyAt = row * width * cout + co0;
    var next = cin;
    for (var w = 0u; w < width; w++) {
      let inside = select(0.0, 1.0, w + 1u < width);
      let xn = min(next, lastColumn);
      let xc0_0 = x[rb0 + xn + 0u] * g0 * inside;
      let xc1_0 = x[rb1 + xn + 0u] * g1 * inside;
      let xc2_0 = x[rb2 + xn + 0u] * g2 * inside;
      let e0 = dy[dyAt + 0u]; let e1 = dy[dyAt + 1u]; let e2 = dy[dyAt + 2u]; let e3 = dy[dyAt + 3u]; let e4 = dy[dyAt + 4u]; let e5 = dy[dyAt + 5u]; let e6 = dy[dyAt + 6u]; let e7 = dy[dyAt + 7u];
      d0 += e0; d1 += e1; d2 += e2; d3 += e3; d4 += e4; d5 += e5; d6 += e6; d7 += e7;
      a0_0_0 += xa0_0 * e0; a0_0_1 += xa0_0 * e1; a0_0_2 += xa0_0 * e2; a0_0_3 += xa0_0 * e3; a0_0_4 += xa0_0 * e4; a0_0_5 += xa0_0 * e5; a0_0_6 += xa0_0 * e6; a0_0_7 += xa0_0 * e7;
      a1_0_0 += xb0_0 * e0; a1_0_1 += xb0_0 * e1; a1_0_2 += xb0_0 * e2; a1_0_3 += xb0_0 * e3; a1_0_4 += xb0_0 * e4; a1_0_5 += xb0_0 * e5; a1_0_6 += xb0_0 * e6; a1_0_7 += xb0_0 * e7;
      a2_0_0 += xc0_0 * e0; a2_0_1 += xc0_0 * e1; a2_0_2 += xc0_0 * e2; a2_0_3 += xc0_0 * e3; a2_0_4 += xc0_0 * e4; a2_0_5 += xc0_0 * e5; a2_0_6 += xc0_0 * e6; a2_0_7 += xc0_0 * e7;
      a3_0_0 += xa1_0 * e0; a3_0_1 += xa1_0 * e1; a3_0_2 += xa1_0 * e2; a3_0_3 += xa1_0 * e3; a3_0_4 += xa1_0 * e4; a3_0_5 += xa1_0 * e5; a3_0_6 += xa1_0 * e6; a3_0_7 += xa1_0 * e7;
      a4_0_0 += xb1_0 * e0; a4_0_1 += xb1_0 * e1; a4_0_2 += xb1_0 * e2; a4_0_3 += xb1_0 * e3; a4_0_4 += xb1_0 * e4; a4_0_5 += xb1_0 * e5; a4_0_6 += xb1_0 * e6; a4_0_7 += xb1_0 * e7;
      a5_0_0 += xc1_0 * e0; a5_0_1 += xc1_0 * e1; a5_0_2 += xc1_0 * e2; a5_0_3 += xc1_0 * e3; a5_0_4 += xc1_0 * e4; a5_0_5 += xc1_0 * e5; a5_0_6 += xc1_0 * e6; a5_0_7 += xc1_0 * e7;
      a6_0_0 += xa2_0 * e0; a6_0_1 += xa2_0 * e1; a6_0_2 += xa2_0 * e2; a6_0_3 += xa2_0 * e3; a6_0_4 += xa2_0 * e4; a6_0_5 += xa2_0 * e5; a6_0_6 += xa2_0 * e6; a6_0_7 += xa2_0 * e7;
      a7_0_0 += xb2_0 * e0; a7_0_1 += xb2_0 * e1; a7_0_2 += xb2_0 * e2; a7_0_3 += xb2_0 * e3; a7_0_4 += xb2_0 * e4; a7_0_5 += xb2_0 * e5; a7_0_6 += xb2_0 * e6; a7_0_7 += xb2_0 * e7;
      a8_0_0 += xc2_0 * e0; a8_0_1 += xc2_0 * e1; a8_0_2 += xc2_0 * e2; a8_0_3 += xc2_0 * e3; a8_0_4 += xc2_0 * e4; a8_0_5 += xc2_0 * e5; a8_0_6 += xc2_0 * e6; a8_0_7 += xc2_0 * e7;
      xa0_0 = xb0_0; xb0_0 = xc0_0;
      xa1_0 = xb1_0; xb1_0 = xc1_0;
      xa2_0 = xb2_0; xb2_0 = xc2_0;
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
    if (co0 + 4u >= con) { partial[r + 4u] = a0_0_4; }
    if (co0 + 5u >= con) { partial[r + 5u] = a0_0_5; }
    if (co0 + 6u >= con) { partial[r + 6u] = a0_0_6; }
    if (co0 + 7u >= con) { partial[r + 7u] = a0_0_7; }
  }
  if (ci0 + 0u >= cin0) {
    let r = out0 + (1u * cin + ci0 + 0u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a1_0_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a1_0_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a1_0_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a1_0_3; }
    if (co0 + 4u >= con) { partial[r + 4u] = a1_0_4; }
    if (co0 + 5u >= con) { partial[r + 5u] = a1_0_5; }
    if (co0 + 6u >= con) { partial[r + 6u] = a1_0_6; }
    if (co0 + 7u >= con) { partial[r + 7u] = a1_0_7; }
  }
  if (ci0 + 0u >= cin0) {
    let r = out0 + (2u * cin + ci0 + 0u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a2_0_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a2_0_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a2_0_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a2_0_3; }
    if (co0 + 4u >= con) { partial[r + 4u] = a2_0_4; }
    if (co0 + 5u >= con) { partial[r + 5u] = a2_0_5; }
    if (co0 + 6u >= con) { partial[r + 6u] = a2_0_6; }
    if (co0 + 7u >= con) { partial[r + 7u] = a2_0_7; }
  }
  if (ci0 + 0u >= cin0) {
    let r = out0 + (3u * cin + ci0 + 0u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a3_0_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a3_0_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a3_0_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a3_0_3; }
    if (co0 + 4u >= con) { partial[r + 4u] = a3_0_4; }
    if (co0 + 5u >= con) { partial[r + 5u] = a3_0_5; }
    if (co0 + 6u >= con) { partial[r + 6u] = a3_0_6; }
    if (co0 + 7u >= con) { partial[r + 7u] = a3_0_7; }
  }
  if (ci0 + 0u >= cin0) {
    let r = out0 + (4u * cin + ci0 + 0u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a4_0_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a4_0_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a4_0_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a4_0_3; }
    if (co0 + 4u >= con) { partial[r + 4u] = a4_0_4; }
    if (co0 + 5u >= con) { partial[r + 5u] = a4_0_5; }
    if (co0 + 6u >= con) { partial[r + 6u] = a4_0_6; }
    if (co0 + 7u >= con) { partial[r + 7u] = a4_0_7; }
  }
  if (ci0 + 0u >= cin0) {
    let r = out0 + (5u * cin + ci0 + 0u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a5_0_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a5_0_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a5_0_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a5_0_3; }
    if (co0 + 4u >= con) { partial[r + 4u] = a5_0_4; }
    if (co0 + 5u >= con) { partial[r + 5u] = a5_0_5; }
    if (co0 + 6u >= con) { partial[r + 6u] = a5_0_6; }
    if (co0 + 7u >= con) { partial[r + 7u] = a5_0_7; }
  }
  if (ci0 + 0u >= cin0) {
    let r = out0 + (6u * cin + ci0 + 0u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a6_0_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a6_0_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a6_0_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a6_0_3; }
    if (co0 + 4u >= con) { partial[r + 4u] = a6_0_4; }
    if (co0 + 5u >= con) { partial[r + 5u] = a6_0_5; }
    if (co0 + 6u >= con) { partial[r + 6u] = a6_0_6; }
    if (co0 + 7u >= con) { partial[r + 7u] = a6_0_7; }
  }
  if (ci0 + 0u >= cin0) {
    let r = out0 + (7u * cin + ci0 + 0u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a7_0_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a7_0_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a7_0_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a7_0_3; }
    if (co0 + 4u >= con) { partial[r + 4u] = a7_0_4; }
    if (co0 + 5u >= con) { partial[r + 5u] = a7_0_5; }
    if (co0 + 6u >= con) { partial[r + 6u] = a7_0_6; }
    if (co0 + 7u >= con) { partial[r + 7u] = a7_0_7; }
  }
  if (ci0 + 0u >= cin0) {
    let r = out0 + (8u * cin + ci0 + 0u) * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = a8_0_0; }
    if (co0 + 1u >= con) { partial[r + 1u] = a8_0_1; }
    if (co0 + 2u >= con) { partial[r + 2u] = a8_0_2; }
    if (co0 + 3u >= con) { partial[r + 3u] = a8_0_3; }
    if (co0 + 4u >= con) { partial[r + 4u] = a8_0_4; }
    if (co0 + 5u >= con) { partial[r + 5u] = a8_0_5; }
    if (co0 + 6u >= con) { partial[r + 6u] = a8_0_6; }
    if (co0 + 7u >= con) { partial[r + 7u] = a8_0_7; }
  }
  if (cin0 == 0u) {
    let r = out0 + 9u * cin * cout;
    if (co0 + 0u >= con) { partial[r + 0u] = d0; }
    if (co0 + 1u >= con) { partial[r + 1u] = d1; }
    if (co0 + 2u >= con) { partial[r + 2u] = d2; }
    if (co0 + 3u >= con) { partial[r + 3u] = d3; }
    if (co0 + 4u >= con) { partial[r + 4u] = d4; }
    if (co0 + 5u >= con) { partial[r + 5u] = d5; }
    if (co0 + 6u >= con) { partial[r + 6u] = d6; }
    if (co0 + 7u >= con) { partial[r + 7u] = d7; }
  }
}
