// CPU reference for a token + positional embedding (byte-level language model): y[b, t, :] = table[token(b, t), :] + positions[t, :].

export interface EmbeddingShape {
  batch: number;
  context: number;
  vocab: number;
  dim: number;
}

/** The table row of a token value, or -1 when it is no token in 0..vocab-1: such a token adds no table row
 *  and gets no table gradient (the GPU kernels skip it the same way rather than read or write out of bounds). */
function tokenRow(token: number, vocab: number): number {
  return token >= 0 && token < vocab ? Math.trunc(token) : -1;
}

/** tokens [batch, context] (integer values), table [vocab, dim], positions [context, dim]; returns y [batch, context, dim]. */
export function embeddingForward(tokens: ArrayLike<number>, table: ArrayLike<number>, positions: ArrayLike<number>, s: EmbeddingShape): Float64Array {
  checkLengths(s, tokens.length, table.length, positions.length);
  const { batch, context, vocab, dim } = s;
  const y = new Float64Array(batch * context * dim);
  for (let p = 0; p < batch * context; p++) {
    const row = tokenRow(tokens[p], vocab);
    const t = p % context;
    for (let c = 0; c < dim; c++) y[p * dim + c] = (row < 0 ? 0 : table[row * dim + c]) + positions[t * dim + c];
  }
  return y;
}

/** dtable[v, :] sums dy over the positions holding token v (0 for tokens that never occur);
 *  dpositions[t, :] sums dy over the batch. */
export function embeddingBackward(tokens: ArrayLike<number>, dy: ArrayLike<number>, s: EmbeddingShape): { dtable: Float64Array; dpositions: Float64Array } {
  const { batch, context, vocab, dim } = s;
  checkLengths(s, tokens.length, vocab * dim, context * dim);
  if (dy.length !== batch * context * dim) throw new Error(`embeddingBackward: dy has ${dy.length} values, expected batch*context*dim = ${batch * context * dim}`);
  const dtable = new Float64Array(vocab * dim);
  const dpositions = new Float64Array(context * dim);
  for (let p = 0; p < batch * context; p++) {
    const row = tokenRow(tokens[p], vocab);
    const t = p % context;
    for (let c = 0; c < dim; c++) {
      if (row >= 0) dtable[row * dim + c] += dy[p * dim + c];
      dpositions[t * dim + c] += dy[p * dim + c];
    }
  }
  return { dtable, dpositions };
}

function checkLengths(s: EmbeddingShape, tokens: number, table: number, positions: number): void {
  const expect = (name: string, got: number, want: number) => {
    if (got !== want) throw new Error(`embedding: ${name} has ${got} values, expected ${want} for shape ${JSON.stringify(s)}`);
  };
  expect('tokens', tokens, s.batch * s.context);
  expect('table', table, s.vocab * s.dim);
  expect('positions', positions, s.context * s.dim);
}
