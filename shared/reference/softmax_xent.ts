// CPU reference for softmax cross-entropy over a batch of logits [batch, classes].

/** Mean cross-entropy over the batch. dlogits = (softmax - onehot) / batch. correct = count of argmax(logits) == label (first max on ties). */
export function softmaxCrossEntropy(
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  batch: number,
  classes: number,
): { loss: number; losses: Float64Array; dlogits: Float64Array; correct: number } {
  if (logits.length !== batch * classes) throw new Error(`softmaxCrossEntropy: logits has ${logits.length} values, expected batch*classes = ${batch * classes}`);
  if (labels.length !== batch) throw new Error(`softmaxCrossEntropy: labels has ${labels.length} values, expected batch = ${batch}`);
  const losses = new Float64Array(batch);
  const dlogits = new Float64Array(batch * classes);
  let correct = 0;
  for (let b = 0; b < batch; b++) {
    const label = labels[b];
    if (!Number.isInteger(label) || label < 0 || label >= classes) throw new Error(`softmaxCrossEntropy: label ${label} of sample ${b} is not a class in 0..${classes - 1}`);
    const row = b * classes;
    let argmax = 0;
    for (let c = 1; c < classes; c++) if (logits[row + c] > logits[row + argmax]) argmax = c;
    const max = logits[row + argmax];
    // Subtracting the max keeps exp() from overflowing.
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[row + c] - max);
    losses[b] = Math.log(sum) - (logits[row + label] - max);
    for (let c = 0; c < classes; c++) {
      dlogits[row + c] = (Math.exp(logits[row + c] - max) / sum - (c === label ? 1 : 0)) / batch;
    }
    if (argmax === label) correct++;
  }
  let total = 0;
  for (const l of losses) total += l;
  return { loss: total / batch, losses, dlogits, correct };
}
