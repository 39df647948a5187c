// Conv2d backward-filter, pass 1 of 2 (split-K): partial sums of dw and db over one chunk of output pixels, for
// any stride and zero padding. As a matrix product, dw[r][co] = sum over output pixels p of im2col(x)[p][r] *
// dy[p][co], with rows r = (kh * kernel + kw) * cin + ci; one more row r = taps, whose input is 1, gives db. The
// reduction over batch * outHeight * outWidth pixels is long and the output small, so it is cut into chunks that
// run in parallel (both CPU threads busy on SwiftShader); conv2d_backward_filter_reduce.wgsl adds the chunks up.
// Each invocation holds 12 rows x 8 output channels in registers: per pixel, 12 + 8 loads feed 96 multiply-adds.
// No workgroup memory or barriers (see conv2d_forward.wgsl).

override batch: u32;
override height: u32;
override width: u32;
override cin: u32;
override cout: u32;
override kernel: u32;
override stride: u32;
override pad: u32;
override outHeight: u32;
override outWidth: u32;
override chunkPixels: u32;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
/** [chunk][row 0..taps][cout] */
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;

const RB = 12u; // rows per invocation
const CB = 8u; // output channels per invocation

/** Where row r reads its input, relative to input pixel (oh * stride, ow * stride) of output pixel (oh, ow): rows
 *  dh, dw away; `one` marks the bias row. */
struct Row {
  dh: i32,
  dw: i32,
  offset: i32,
  one: bool,
}

fn row(r: u32, taps: u32) -> Row {
  let tap = r / cin;
  let dh = i32(tap / kernel) - i32(pad);
  let dw = i32(tap % kernel) - i32(pad);
  return Row(dh, dw, (dh * i32(width) + dw) * i32(cin) + i32(r % cin), r == taps);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let taps = kernel * kernel * cin;
  let rBlocks = (taps + RB) / RB; // taps + 1 rows
  let cBlocks = (cout + CB - 1u) / CB;
  let pixels = batch * outHeight * outWidth;
  let chunks = (pixels + chunkPixels - 1u) / chunkPixels;
  let id = gid.x + gid.y * groups.x * 64u;
  if (id >= chunks * rBlocks * cBlocks) { return; }
  let c0 = (id % cBlocks) * CB;
  let rest = id / cBlocks;
  let r0 = (rest % rBlocks) * RB;
  let chunk = rest / rBlocks;
  let q0 = row(r0 + 0u, taps);
  let q1 = row(r0 + 1u, taps);
  let q2 = row(r0 + 2u, taps);
  let q3 = row(r0 + 3u, taps);
  let q4 = row(r0 + 4u, taps);
  let q5 = row(r0 + 5u, taps);
  let q6 = row(r0 + 6u, taps);
  let q7 = row(r0 + 7u, taps);
  let q8 = row(r0 + 8u, taps);
  let q9 = row(r0 + 9u, taps);
  let q10 = row(r0 + 10u, taps);
  let q11 = row(r0 + 11u, taps);
  var a0_0 = vec4f(0.0); var a0_1 = vec4f(0.0);
  var a1_0 = vec4f(0.0); var a1_1 = vec4f(0.0);
  var a2_0 = vec4f(0.0); var a2_1 = vec4f(0.0);
  var a3_0 = vec4f(0.0); var a3_1 = vec4f(0.0);
  var a4_0 = vec4f(0.0); var a4_1 = vec4f(0.0);
  var a5_0 = vec4f(0.0); var a5_1 = vec4f(0.0);
  var a6_0 = vec4f(0.0); var a6_1 = vec4f(0.0);
  var a7_0 = vec4f(0.0); var a7_1 = vec4f(0.0);
  var a8_0 = vec4f(0.0); var a8_1 = vec4f(0.0);
  var a9_0 = vec4f(0.0); var a9_1 = vec4f(0.0);
  var a10_0 = vec4f(0.0); var a10_1 = vec4f(0.0);
  var a11_0 = vec4f(0.0); var a11_1 = vec4f(0.0);
  let first = chunk * chunkPixels;
  let last = min(first + chunkPixels, pixels);
  // Output pixel p is (b, oh, ow); its rows read around input pixel (oh * stride, ow * stride) of image b.
  var ow = first % outWidth;
  var oh = (first / outWidth) % outHeight;
  var b = first / outWidth / outHeight;
  for (var p = first; p < last; p++) {
    let h = i32(oh * stride);
    let w = i32(ow * stride);
    // Channels past cout (last block) read other values; their sums are never stored.
    let g = p * cout + c0;
    let g0 = vec4f(dy[g], dy[g + 1u], dy[g + 2u], dy[g + 3u]);
    let g1 = vec4f(dy[g + 4u], dy[g + 5u], dy[g + 6u], dy[g + 7u]);
    let xp = ((i32(b * height) + h) * i32(width) + w) * i32(cin);
    let v0 = tapInput(q0, h, w, xp);
    a0_0 += v0 * g0; a0_1 += v0 * g1;
    let v1 = tapInput(q1, h, w, xp);
    a1_0 += v1 * g0; a1_1 += v1 * g1;
    let v2 = tapInput(q2, h, w, xp);
    a2_0 += v2 * g0; a2_1 += v2 * g1;
    let v3 = tapInput(q3, h, w, xp);
    a3_0 += v3 * g0; a3_1 += v3 * g1;
    let v4 = tapInput(q4, h, w, xp);
    a4_0 += v4 * g0; a4_1 += v4 * g1;
    let v5 = tapInput(q5, h, w, xp);
    a5_0 += v5 * g0; a5_1 += v5 * g1;
    let v6 = tapInput(q6, h, w, xp);
    a6_0 += v6 * g0; a6_1 += v6 * g1;
    let v7 = tapInput(q7, h, w, xp);
    a7_0 += v7 * g0; a7_1 += v7 * g1;
    let v8 = tapInput(q8, h, w, xp);
    a8_0 += v8 * g0; a8_1 += v8 * g1;
    let v9 = tapInput(q9, h, w, xp);
    a9_0 += v9 * g0; a9_1 += v9 * g1;
    let v10 = tapInput(q10, h, w, xp);
    a10_0 += v10 * g0; a10_1 += v10 * g1;
    let v11 = tapInput(q11, h, w, xp);
    a11_0 += v11 * g0; a11_1 += v11 * g1;
    ow++;
    if (ow == outWidth) {
      ow = 0u;
      oh++;
      if (oh == outHeight) {
        oh = 0u;
        b++;
      }
    }
  }
  let out0 = chunk * (taps + 1u) * cout;
  store(out0, r0 + 0u, c0, taps, a0_0);
  store(out0, r0 + 0u, c0 + 4u, taps, a0_1);
  store(out0, r0 + 1u, c0, taps, a1_0);
  store(out0, r0 + 1u, c0 + 4u, taps, a1_1);
  store(out0, r0 + 2u, c0, taps, a2_0);
  store(out0, r0 + 2u, c0 + 4u, taps, a2_1);
  store(out0, r0 + 3u, c0, taps, a3_0);
  store(out0, r0 + 3u, c0 + 4u, taps, a3_1);
  store(out0, r0 + 4u, c0, taps, a4_0);
  store(out0, r0 + 4u, c0 + 4u, taps, a4_1);
  store(out0, r0 + 5u, c0, taps, a5_0);
  store(out0, r0 + 5u, c0 + 4u, taps, a5_1);
  store(out0, r0 + 6u, c0, taps, a6_0);
  store(out0, r0 + 6u, c0 + 4u, taps, a6_1);
  store(out0, r0 + 7u, c0, taps, a7_0);
  store(out0, r0 + 7u, c0 + 4u, taps, a7_1);
  store(out0, r0 + 8u, c0, taps, a8_0);
  store(out0, r0 + 8u, c0 + 4u, taps, a8_1);
  store(out0, r0 + 9u, c0, taps, a9_0);
  store(out0, r0 + 9u, c0 + 4u, taps, a9_1);
  store(out0, r0 + 10u, c0, taps, a10_0);
  store(out0, r0 + 10u, c0 + 4u, taps, a10_1);
  store(out0, r0 + 11u, c0, taps, a11_0);
  store(out0, r0 + 11u, c0 + 4u, taps, a11_1);
}

/** Row q's input around input pixel (h, w), whose first channel is x[xp]: zero outside the image, 1 for the
 *  bias row. */
fn tapInput(q: Row, h: i32, w: i32, xp: i32) -> f32 {
  let inside = u32(h + q.dh) < height && u32(w + q.dw) < width;
  let v = select(0.0, x[select(0u, u32(xp + q.offset), inside)], inside);
  return select(v, 1.0, q.one);
}

/** Writes the entries of row r, channels c.. c + 3, that exist. */
fn store(out0: u32, r: u32, c: u32, taps: u32, s: vec4f) {
  if (r > taps) { return; }
  for (var j = 0u; j < 4u; j++) {
    if (c + j < cout) { partial[out0 + r * cout + c + j] = s[j]; }
  }
}
