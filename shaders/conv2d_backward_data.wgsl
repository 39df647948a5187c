// Conv2d backward-data: dx = conv(dy, w flipped in space, in/out channels swapped). NHWC, HWIO, stride 1,
// same padding. The same register blocking as conv2d_forward.wgsl: 7 pixels along w x 8 input channels per
// invocation; the weights for 8 consecutive input channels sit `cout` apart, loaded as scalars.

override batch: u32;
override height: u32;
override width: u32;
override cin: u32;
override cout: u32;
override kernel: u32;

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

const PIX = 7u; // output pixels along w per invocation
const CB = 8u; // output channels per invocation

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let cBlocks = (cin + CB - 1u) / CB;
  let wBlocks = (width + PIX - 1u) / PIX;
  let id = gid.x + gid.y * groups.x * 64u;
  if (id >= batch * height * wBlocks * cBlocks) { return; }
  let c0 = (id % cBlocks) * CB;
  let rest = id / cBlocks;
  let w0 = (rest % wBlocks) * PIX;
  let bh = rest / wBlocks; // b * height + h
  let h = bh % height;
  let pad = i32(kernel / 2u);
  var a0_0 = vec4f(0.0); var a0_1 = vec4f(0.0);
  var a1_0 = vec4f(0.0); var a1_1 = vec4f(0.0);
  var a2_0 = vec4f(0.0); var a2_1 = vec4f(0.0);
  var a3_0 = vec4f(0.0); var a3_1 = vec4f(0.0);
  var a4_0 = vec4f(0.0); var a4_1 = vec4f(0.0);
  var a5_0 = vec4f(0.0); var a5_1 = vec4f(0.0);
  var a6_0 = vec4f(0.0); var a6_1 = vec4f(0.0);
  for (var kh = 0u; kh < kernel; kh++) {
    let dh = pad - i32(kh);
    let ih = i32(h) + dh;
    if (ih < 0 || ih >= i32(height)) { continue; }
    let rowBase = (i32(bh) + dh) * i32(width);
    for (var kw = 0u; kw < kernel; kw++) {
      let iw0 = i32(w0) + pad - i32(kw);
      // Pixels outside the image read index 0 and count as zero.
      let in0 = u32(iw0) < width;
      let s0 = select(0u, u32(rowBase + iw0) * cout, in0);
      let in1 = u32(iw0 + 1) < width;
      let s1 = select(0u, u32(rowBase + iw0 + 1) * cout, in1);
      let in2 = u32(iw0 + 2) < width;
      let s2 = select(0u, u32(rowBase + iw0 + 2) * cout, in2);
      let in3 = u32(iw0 + 3) < width;
      let s3 = select(0u, u32(rowBase + iw0 + 3) * cout, in3);
      let in4 = u32(iw0 + 4) < width;
      let s4 = select(0u, u32(rowBase + iw0 + 4) * cout, in4);
      let in5 = u32(iw0 + 5) < width;
      let s5 = select(0u, u32(rowBase + iw0 + 5) * cout, in5);
      let in6 = u32(iw0 + 6) < width;
      let s6 = select(0u, u32(rowBase + iw0 + 6) * cout, in6);
      let tap = (kh * kernel + kw) * cin * cout;
      for (var c = 0u; c < cout; c++) {
        // Input channels past cin (last block) read other weights; their sums are never stored.
        let wi = tap + c0 * cout + c;
        let k0 = vec4f(w[wi], w[wi + cout], w[wi + 2u * cout], w[wi + 3u * cout]);
        let k1 = vec4f(w[wi + 4u * cout], w[wi + 5u * cout], w[wi + 6u * cout], w[wi + 7u * cout]);
        let v0 = select(0.0, dy[s0 + c], in0);
        a0_0 += v0 * k0; a0_1 += v0 * k1;
        let v1 = select(0.0, dy[s1 + c], in1);
        a1_0 += v1 * k0; a1_1 += v1 * k1;
        let v2 = select(0.0, dy[s2 + c], in2);
        a2_0 += v2 * k0; a2_1 += v2 * k1;
        let v3 = select(0.0, dy[s3 + c], in3);
        a3_0 += v3 * k0; a3_1 += v3 * k1;
        let v4 = select(0.0, dy[s4 + c], in4);
        a4_0 += v4 * k0; a4_1 += v4 * k1;
        let v5 = select(0.0, dy[s5 + c], in5);
        a5_0 += v5 * k0; a5_1 += v5 * k1;
        let v6 = select(0.0, dy[s6 + c], in6);
        a6_0 += v6 * k0; a6_1 += v6 * k1;
      }
    }
  }
  let out0 = (bh * width + w0) * cin + c0;
  {
    store(out0, c0, a0_0);
    store(out0 + 4u, c0 + 4u, a0_1);
  }
  if (w0 + 1u < width) {
    store(out0 + cin, c0, a1_0);
    store(out0 + cin + 4u, c0 + 4u, a1_1);
  }
  if (w0 + 2u < width) {
    store(out0 + 2u * cin, c0, a2_0);
    store(out0 + 2u * cin + 4u, c0 + 4u, a2_1);
  }
  if (w0 + 3u < width) {
    store(out0 + 3u * cin, c0, a3_0);
    store(out0 + 3u * cin + 4u, c0 + 4u, a3_1);
  }
  if (w0 + 4u < width) {
    store(out0 + 4u * cin, c0, a4_0);
    store(out0 + 4u * cin + 4u, c0 + 4u, a4_1);
  }
  if (w0 + 5u < width) {
    store(out0 + 5u * cin, c0, a5_0);
    store(out0 + 5u * cin + 4u, c0 + 4u, a5_1);
  }
  if (w0 + 6u < width) {
    store(out0 + 6u * cin, c0, a6_0);
    store(out0 + 6u * cin + 4u, c0 + 4u, a6_1);
  }
}

/** Writes the channels of r that exist: dx[i + j] for c + j < cin. */
fn store(i: u32, c: u32, r: vec4f) {
  for (var j = 0u; j < 4u; j++) {
    if (c + j < cin) { dx[i + j] = r[j]; }
  }
}
