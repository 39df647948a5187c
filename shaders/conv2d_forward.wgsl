// Conv2d forward: y = conv(x, w) + bias, then relu if asked. NHWC activations, HWIO weights, any stride and zero
// padding (conv2d_forward_k3.wgsl takes kernel 3 at stride 1, same padding, when the channels fill its blocks).
// Each invocation computes 7 output pixels along w x 8 output channels in registers (vec4 along channels):
// every loaded input feeds 8 multiply-adds and every loaded weight 7. No workgroup memory or barriers, which
// SwiftShader (CPU) runs far faster; loads are scalar because SwiftShader gathers per component anyway, and
// scalar loads let any channel count work. Multiply then add, not fma(): SwiftShader's fma is several times slower.

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
override relu: bool;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

const PIX = 7u; // output pixels along w per invocation
const CB = 8u; // output channels per invocation

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let cBlocks = (cout + CB - 1u) / CB;
  let wBlocks = (outWidth + PIX - 1u) / PIX;
  let id = gid.x + gid.y * groups.x * 64u;
  if (id >= batch * outHeight * wBlocks * cBlocks) { return; }
  let c0 = (id % cBlocks) * CB;
  let rest = id / cBlocks;
  let w0 = (rest % wBlocks) * PIX;
  let bh = rest / wBlocks; // b * outHeight + output row
  let b = bh / outHeight;
  let h0 = i32((bh % outHeight) * stride) - i32(pad); // input row of kh = 0
  let colStep = i32(stride);
  var a0_0 = vec4f(0.0); var a0_1 = vec4f(0.0);
  var a1_0 = vec4f(0.0); var a1_1 = vec4f(0.0);
  var a2_0 = vec4f(0.0); var a2_1 = vec4f(0.0);
  var a3_0 = vec4f(0.0); var a3_1 = vec4f(0.0);
  var a4_0 = vec4f(0.0); var a4_1 = vec4f(0.0);
  var a5_0 = vec4f(0.0); var a5_1 = vec4f(0.0);
  var a6_0 = vec4f(0.0); var a6_1 = vec4f(0.0);
  for (var kh = 0u; kh < kernel; kh++) {
    let ih = h0 + i32(kh);
    if (ih < 0 || ih >= i32(height)) { continue; }
    let rowBase = (i32(b * height) + ih) * i32(width);
    for (var kw = 0u; kw < kernel; kw++) {
      // Input column of output pixel w0 + j: iw0 + j * stride.
      let iw0 = i32(w0 * stride + kw) - i32(pad);
      // Pixels outside the image read index 0 and count as zero.
      let in0 = u32(iw0) < width;
      let s0 = select(0u, u32(rowBase + iw0) * cin, in0);
      let in1 = u32(iw0 + colStep) < width;
      let s1 = select(0u, u32(rowBase + iw0 + colStep) * cin, in1);
      let in2 = u32(iw0 + 2 * colStep) < width;
      let s2 = select(0u, u32(rowBase + iw0 + 2 * colStep) * cin, in2);
      let in3 = u32(iw0 + 3 * colStep) < width;
      let s3 = select(0u, u32(rowBase + iw0 + 3 * colStep) * cin, in3);
      let in4 = u32(iw0 + 4 * colStep) < width;
      let s4 = select(0u, u32(rowBase + iw0 + 4 * colStep) * cin, in4);
      let in5 = u32(iw0 + 5 * colStep) < width;
      let s5 = select(0u, u32(rowBase + iw0 + 5 * colStep) * cin, in5);
      let in6 = u32(iw0 + 6 * colStep) < width;
      let s6 = select(0u, u32(rowBase + iw0 + 6 * colStep) * cin, in6);
      let tap = (kh * kernel + kw) * cin * cout;
      for (var c = 0u; c < cin; c++) {
        // Channels past cout (last block) read neighbouring weights (or, at the end, whatever robust access
        // returns); their sums are never stored.
        let wi = tap + c * cout + c0;
        let k0 = vec4f(w[wi], w[wi + 1u], w[wi + 2u], w[wi + 3u]);
        let k1 = vec4f(w[wi + 4u], w[wi + 5u], w[wi + 6u], w[wi + 7u]);
        let v0 = select(0.0, x[s0 + c], in0);
        a0_0 += v0 * k0; a0_1 += v0 * k1;
        let v1 = select(0.0, x[s1 + c], in1);
        a1_0 += v1 * k0; a1_1 += v1 * k1;
        let v2 = select(0.0, x[s2 + c], in2);
        a2_0 += v2 * k0; a2_1 += v2 * k1;
        let v3 = select(0.0, x[s3 + c], in3);
        a3_0 += v3 * k0; a3_1 += v3 * k1;
        let v4 = select(0.0, x[s4 + c], in4);
        a4_0 += v4 * k0; a4_1 += v4 * k1;
        let v5 = select(0.0, x[s5 + c], in5);
        a5_0 += v5 * k0; a5_1 += v5 * k1;
        let v6 = select(0.0, x[s6 + c], in6);
        a6_0 += v6 * k0; a6_1 += v6 * k1;
      }
    }
  }
  let b0 = vec4f(bias[min(c0 + 0u, cout - 1u)], bias[min(c0 + 1u, cout - 1u)], bias[min(c0 + 2u, cout - 1u)], bias[min(c0 + 3u, cout - 1u)]);
  let b1 = vec4f(bias[min(c0 + 4u, cout - 1u)], bias[min(c0 + 5u, cout - 1u)], bias[min(c0 + 6u, cout - 1u)], bias[min(c0 + 7u, cout - 1u)]);
  let out0 = (bh * outWidth + w0) * cout + c0;
  {
    store(out0, c0, a0_0 + b0);
    store(out0 + 4u, c0 + 4u, a0_1 + b1);
  }
  if (w0 + 1u < outWidth) {
    store(out0 + cout, c0, a1_0 + b0);
    store(out0 + cout + 4u, c0 + 4u, a1_1 + b1);
  }
  if (w0 + 2u < outWidth) {
    store(out0 + 2u * cout, c0, a2_0 + b0);
    store(out0 + 2u * cout + 4u, c0 + 4u, a2_1 + b1);
  }
  if (w0 + 3u < outWidth) {
    store(out0 + 3u * cout, c0, a3_0 + b0);
    store(out0 + 3u * cout + 4u, c0 + 4u, a3_1 + b1);
  }
  if (w0 + 4u < outWidth) {
    store(out0 + 4u * cout, c0, a4_0 + b0);
    store(out0 + 4u * cout + 4u, c0 + 4u, a4_1 + b1);
  }
  if (w0 + 5u < outWidth) {
    store(out0 + 5u * cout, c0, a5_0 + b0);
    store(out0 + 5u * cout + 4u, c0 + 4u, a5_1 + b1);
  }
  if (w0 + 6u < outWidth) {
    store(out0 + 6u * cout, c0, a6_0 + b0);
    store(out0 + 6u * cout + 4u, c0 + 4u, a6_1 + b1);
  }
}

/** Writes the channels of r that exist: y[i + j] for c + j < cout. */
fn store(i: u32, c: u32, r: vec4f) {
  var v = r;
  if (relu) { v = max(v, vec4f(0.0)); }
  for (var j = 0u; j < 4u; j++) {
    if (c + j < cout) { y[i + j] = v[j]; }
  }
}
