// Assembles a minibatch from the dataset's uint8 pixels and labels, packed 4 bytes per u32
// (byte i at word i >> 2, bits 8 * (i & 3)): x[r][j] = pixel / 255 of sample indices[r], y[r] = its label.
// `main` writes one pixel per step, for any SAMPLE_SIZE; `main4` writes a vec4 from one whole word when
// SAMPLE_SIZE is a multiple of 4 (every sample then starts on a word). Each entry point uses only its own
// x variable, so the shared binding number does not clash.

override BATCH: u32;
override SAMPLE_SIZE: u32;

@group(0) @binding(0) var<storage, read> pixels: array<u32>;
@group(0) @binding(1) var<storage, read> labels: array<u32>;
@group(0) @binding(2) var<storage, read> indices: array<u32>;
@group(0) @binding(3) var<storage, read_write> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> x4: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> y: array<u32>;

// Byte i of the packed data, given the word that holds it (words[i >> 2]).
fn byteOf(word: u32, i: u32) -> u32 {
  return (word >> (8u * (i & 3u))) & 0xffu;
}

// Every entry point has at least BATCH invocations' worth of steps, so the first BATCH steps copy the labels.
fn copyLabel(r: u32) {
  if (r < BATCH) {
    let s = indices[r];
    y[r] = byteOf(labels[s >> 2u], s);
  }
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  for (var i = gid.x; i < BATCH * SAMPLE_SIZE; i += groups.x * 64u) {
    let r = i / SAMPLE_SIZE;
    let p = indices[r] * SAMPLE_SIZE + (i - r * SAMPLE_SIZE);
    x[i] = f32(byteOf(pixels[p >> 2u], p)) / 255.0;
    copyLabel(i);
  }
}

@compute @workgroup_size(64)
fn main4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let quads = SAMPLE_SIZE / 4u;
  for (var i = gid.x; i < BATCH * quads; i += groups.x * 64u) {
    let r = i / quads;
    let w = pixels[indices[r] * quads + (i - r * quads)];
    x4[i] = vec4f(f32(w & 0xffu), f32((w >> 8u) & 0xffu), f32((w >> 16u) & 0xffu), f32(w >> 24u)) / 255.0;
    copyLabel(i);
  }
}
