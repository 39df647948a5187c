// A byte-level language model's minibatch from the byte stream kept packed 4 per u32 (byte i at word i >> 2,
// bits 8 * (i & 3)): row r is the window of CONTEXT bytes from starts[r]; x gets the bytes as f32 token ids (not
// scaled) and y the labels (the following bytes) as u32. Windows start at any byte, so `main4` (CONTEXT a multiple
// of 4) assembles 4 bytes from at most two words; `main` takes one byte per step. Each entry point uses only its
// own x and y variables, so the shared binding numbers do not clash.

override BATCH: u32;
override CONTEXT: u32;

@group(0) @binding(0) var<storage, read> pixels: array<u32>;
@group(0) @binding(1) var<storage, read> labels: array<u32>;
@group(0) @binding(2) var<storage, read> starts: array<u32>;
@group(0) @binding(3) var<storage, read_write> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> x4: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> y: array<u32>;
@group(0) @binding(4) var<storage, read_write> y4: array<vec4u>;

fn byteOf(word: u32, i: u32) -> u32 {
  return (word >> (8u * (i & 3u))) & 0xffu;
}

// Bytes p .. p+3 of a packed stream as one word, from the word holding p and the one after it (clamped to the
// buffer: it is used only when the bytes straddle two words, and then it exists). A shift by 32 would be a shift by
// 0 in WGSL, hence the select.
fn join(low: u32, high: u32, p: u32) -> u32 {
  let shift = 8u * (p & 3u);
  return select((low >> shift) | (high << (32u - shift)), low, shift == 0u);
}

fn unpack(w: u32) -> vec4u {
  return vec4u(w & 0xffu, (w >> 8u) & 0xffu, (w >> 16u) & 0xffu, w >> 24u);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  for (var i = gid.x; i < BATCH * CONTEXT; i += groups.x * 64u) {
    let r = i / CONTEXT;
    let p = starts[r] + (i - r * CONTEXT);
    x[i] = f32(byteOf(pixels[p >> 2u], p));
    y[i] = byteOf(labels[p >> 2u], p);
  }
}

@compute @workgroup_size(64)
fn main4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let quads = CONTEXT / 4u;
  for (var i = gid.x; i < BATCH * quads; i += groups.x * 64u) {
    let r = i / quads;
    let p = starts[r] + 4u * (i - r * quads);
    let q = p >> 2u;
    let next = min(q + 1u, arrayLength(&pixels) - 1u);
    x4[i] = vec4f(unpack(join(pixels[q], pixels[next], p)));
    y4[i] = unpack(join(labels[q], labels[next], p));
  }
}
