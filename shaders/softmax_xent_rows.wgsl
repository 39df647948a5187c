// Softmax cross-entropy of logits [ROWS, CLASSES] against u32 labels, one invocation per row (a grid-stride loop
// over rows, no barriers): writes the row's dlogits = (softmax - onehot) / ROWS, its loss (logsumexp - logit of the
// label) at partials[row] and whether its first maximum is the label (1 or 0) at partials[ROWS + row];
// softmax_xent_rows_sum.wgsl then adds them to stats. `main4` reads vec4s when CLASSES is a multiple of 4 (every
// row then starts on a vec4); `main` one logit per step. Each entry point uses only its own logits and dlogits
// variables, so the shared binding numbers do not clash. A label out of range picks no logit (the loss is then
// logsumexp - max) rather than read another row's.

override ROWS: u32;
override CLASSES: u32;

@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(0) var<storage, read> logits4: array<vec4f>;
@group(0) @binding(1) var<storage, read> labels: array<u32>;
@group(0) @binding(2) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(2) var<storage, read_write> dlogits4: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> partials: array<f32>;

// The loss as log(sum) - (picked - best), not (best + log(sum)) - picked: huge logits then lose no precision.
fn record(r: u32, sum: f32, picked: f32, best: f32, argmax: u32, label: u32) {
  partials[r] = log(sum) - (picked - best);
  partials[ROWS + r] = select(0.0, 1.0, argmax == label);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let scale = 1.0 / f32(ROWS);
  for (var r = gid.x; r < ROWS; r += groups.x * 64u) {
    let row = r * CLASSES;
    let label = labels[r];
    // First maximum on ties, as the reference's argmax.
    var argmax = 0u;
    var best = logits[row];
    for (var c = 1u; c < CLASSES; c++) {
      let l = logits[row + c];
      if (l > best) {
        best = l;
        argmax = c;
      }
    }
    // Shifting by the max keeps exp() from overflowing.
    var sum = 0.0;
    var picked = best;
    for (var c = 0u; c < CLASSES; c++) {
      let l = logits[row + c];
      sum += exp(l - best);
      picked = select(picked, l, c == label);
    }
    let inv = 1.0 / sum;
    for (var c = 0u; c < CLASSES; c++) {
      let p = exp(logits[row + c] - best) * inv;
      dlogits[row + c] = (p - select(0.0, 1.0, c == label)) * scale;
    }
    record(r, sum, picked, best, argmax, label);
  }
}

@compute @workgroup_size(64)
fn main4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let scale = 1.0 / f32(ROWS);
  let quads = CLASSES / 4u;
  let lane = vec4u(0u, 1u, 2u, 3u);
  for (var r = gid.x; r < ROWS; r += groups.x * 64u) {
    let row = r * quads;
    let label = labels[r];
    // Each component keeps its own first maximum (strict >); the first maximum of the row is then the largest of
    // the four, the lowest class among equals.
    var best4 = logits4[row];
    var at4 = vec4u(0u);
    for (var q = 1u; q < quads; q++) {
      let l = logits4[row + q];
      let better = l > best4;
      best4 = select(best4, l, better);
      at4 = select(at4, vec4u(q), better);
    }
    let classes4 = at4 * 4u + lane;
    var best = best4.x;
    var argmax = classes4.x;
    for (var j = 1u; j < 4u; j++) {
      if (best4[j] > best || (best4[j] == best && classes4[j] < argmax)) {
        best = best4[j];
        argmax = classes4[j];
      }
    }
    var sum4 = vec4f(0.0);
    for (var q = 0u; q < quads; q++) {
      sum4 += exp(logits4[row + q] - best);
    }
    let sum = sum4.x + sum4.y + sum4.z + sum4.w;
    let inv = 1.0 / sum;
    for (var q = 0u; q < quads; q++) {
      let p = exp(logits4[row + q] - best) * inv;
      dlogits4[row + q] = (p - select(vec4f(0.0), vec4f(1.0), lane + q * 4u == vec4u(label))) * scale;
    }
    let picked = select(best, logits4[row + min(label, CLASSES - 1u) / 4u][label % 4u], label < CLASSES);
    record(r, sum, picked, best, argmax, label);
  }
}
