// Conv2d backward-data: dx[b, ih, iw, ci] = sum of dy[b, oh, ow, co] * w[kh, kw, ci, co] over the outputs whose
// window reads that input (oh * stride + kh - pad = ih, and the same along w). NHWC, HWIO, any stride and zero
// padding. The same register blocking as conv2d_forward.wgsl: 7 pixels along w x 8 input channels per invocation;
// the weights for 8 consecutive input channels sit `cout` apart, loaded as scalars. The 7 pixels are `stride`
// apart, so that all take the same taps kw and read consecutive output columns. Every dx element is written,
// 0 where no window reads it.

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

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

const PIX = 7u; // output pixels along w per invocation
const CB = 8u; // output channels per invocation

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let cBlocks = (cin + CB - 1u) / CB;
  // Pixel blocks per residue of w mod stride (the phase); blocks past the row's end return. The phase varies
  // slowest, so that neighbouring invocations (SIMD lanes on SwiftShader) take the same taps kw.
  let phaseBlocks = ((width + stride - 1u) / stride + PIX - 1u) / PIX;
  let rows = batch * height;
  let id = gid.x + gid.y * groups.x * 64u;
  if (id >= stride * rows * phaseBlocks * cBlocks) { return; }
  let c0 = (id % cBlocks) * CB;
  let rest = id / cBlocks;
  let bh = (rest / phaseBlocks) % rows; // b * height + h
  let w0 = rest / phaseBlocks / rows + (rest % phaseBlocks) * PIX * stride;
  if (w0 >= width) { return; }
  let b = bh / height;
  let th = bh % height + pad; // oh * stride + kh for the outputs that read row h
  let tw = w0 + pad;
  var a0_0 = vec4f(0.0); var a0_1 = vec4f(0.0);
  var a1_0 = vec4f(0.0); var a1_1 = vec4f(0.0);
  var a2_0 = vec4f(0.0); var a2_1 = vec4f(0.0);
  var a3_0 = vec4f(0.0); var a3_1 = vec4f(0.0);
  var a4_0 = vec4f(0.0); var a4_1 = vec4f(0.0);
  var a5_0 = vec4f(0.0); var a5_1 = vec4f(0.0);
  var a6_0 = vec4f(0.0); var a6_1 = vec4f(0.0);
  // Only taps kh = th mod stride, + stride, ... up to th land on an output row; likewise along w.
  for (var kh = th % stride; kh < kernel && kh <= th; kh += stride) {
    let oh = (th - kh) / stride;
    if (oh >= outHeight) { continue; }
    let rowBase = i32((b * outHeight + oh) * outWidth);
    for (var kw = tw % stride; kw < kernel; kw += stride) {
      // Output column of pixel w0 + j * stride: ow0 + j (exact: tw - kw is a multiple of stride).
      let ow0 = (i32(tw) - i32(kw)) / i32(stride);
      // Columns outside the output read index 0 and count as zero.
      let in0 = u32(ow0) < outWidth;
      let s0 = select(0u, u32(rowBase + ow0) * cout, in0);
      let in1 = u32(ow0 + 1) < outWidth;
      let s1 = select(0u, u32(rowBase + ow0 + 1) * cout, in1);
      let in2 = u32(ow0 + 2) < outWidth;
      let s2 = select(0u, u32(rowBase + ow0 + 2) * cout, in2);
      let in3 = u32(ow0 + 3) < outWidth;
      let s3 = select(0u, u32(rowBase + ow0 + 3) * cout, in3);
      let in4 = u32(ow0 + 4) < outWidth;
      let s4 = select(0u, u32(rowBase + ow0 + 4) * cout, in4);
      let in5 = u32(ow0 + 5) < outWidth;
      let s5 = select(0u, u32(rowBase + ow0 + 5) * cout, in5);
      let in6 = u32(ow0 + 6) < outWidth;
      let s6 = select(0u, u32(rowBase + ow0 + 6) * cout, in6);
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
  let next = stride * cin; // from one of the invocation's pixels to the next
  {
    store(out0, c0, a0_0);
    store(out0 + 4u, c0 + 4u, a0_1);
  }
  if (w0 + 1u * stride < width) {
    store(out0 + next, c0, a1_0);
    store(out0 + next + 4u, c0 + 4u, a1_1);
  }
  if (w0 + 2u * stride < width) {
    store(out0 + 2u * next, c0, a2_0);
    store(out0 + 2u * next + 4u, c0 + 4u, a2_1);
  }
  if (w0 + 3u * stride < width) {
    store(out0 + 3u * next, c0, a3_0);
    store(out0 + 3u * next + 4u, c0 + 4u, a3_1);
  }
  if (w0 + 4u * stride < width) {
    store(out0 + 4u * next, c0, a4_0);
    store(out0 + 4u * next + 4u, c0 + 4u, a4_1);
  }
  if (w0 + 5u * stride < width) {
    store(out0 + 5u * next, c0, a5_0);
    store(out0 + 5u * next + 4u, c0 + 4u, a5_1);
  }
  if (w0 + 6u * stride < width) {
    store(out0 + 6u * next, c0, a6_0);
    store(out0 + 6u * next + 4u, c0 + 4u, a6_1);
  }
}

/** Writes the channels of r that exist: dx[i + j] for c + j < cin. */
fn store(i: u32, c: u32, r: vec4f) {
  for (var j = 0u; j < 4u; j++) {
    if (c + j < cin) { dx[i + j] = r[j]; }
  }
}
