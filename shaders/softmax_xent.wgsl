// Softmax cross-entropy of logits [BATCH, CLASSES] against u32 labels, in one workgroup:
// each invocation takes samples lid, lid+64, ... and writes their dlogits = (softmax - onehot) / BATCH,
// then invocation 0 sums the per-invocation loss and correct counts and adds them to stats
// ([loss sum, correct, samples]), so stats accumulate across steps until the host clears them.
// One workgroup keeps the accumulation race-free with a single barrier.

override BATCH: u32;
override CLASSES: u32;

@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<u32>;
@group(0) @binding(2) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(3) var<storage, read_write> stats: array<f32, 3>;

var<workgroup> lossPart: array<f32, 64>;
var<workgroup> correctPart: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32) {
  let scale = 1.0 / f32(BATCH);
  var lossSum = 0.0;
  var correct = 0.0;
  for (var b = lid; b < BATCH; b += 64u) {
    let row = b * CLASSES;
    let label = labels[b];
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
    // Shifting by the max keeps exp() from overflowing; the label's logit is picked inside the loop
    // so that a label out of range never reads another sample's logits.
    var sum = 0.0;
    var picked = best;
    for (var c = 0u; c < CLASSES; c++) {
      let l = logits[row + c];
      sum += exp(l - best);
      if (c == label) {
        picked = l;
      }
    }
    lossSum += log(sum) - (picked - best);
    let inv = 1.0 / sum;
    for (var c = 0u; c < CLASSES; c++) {
      let p = exp(logits[row + c] - best) * inv;
      dlogits[row + c] = (p - select(0.0, 1.0, c == label)) * scale;
    }
    correct += select(0.0, 1.0, argmax == label);
  }
  lossPart[lid] = lossSum;
  correctPart[lid] = correct;
  workgroupBarrier();
  if (lid == 0u) {
    var totalLoss = 0.0;
    var totalCorrect = 0.0;
    for (var i = 0u; i < 64u; i++) {
      totalLoss += lossPart[i];
      totalCorrect += correctPart[i];
    }
    stats[0] += totalLoss;
    stats[1] += totalCorrect;
    stats[2] += f32(BATCH);
  }
}
