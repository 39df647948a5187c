// The register blocks of the kernel-3 forward and backward-data shaders: what shaders/gen/conv2d_k3.ts unrolls and
// client/gpu/conv2d.ts sizes its dispatches by. No Node imports: the browser bundle reads it too.

/** Output rows, pixels along w and channels per invocation. */
export interface K3Block {
  rows: number;
  pixels: number;
  channels: number;
}

/** Wide rows (28x28 and 14x14 images), and square blocks that fit 7x7 (and 14, 21, 28...) without padding. */
export const K3_BLOCKS = { wide: { rows: 2, pixels: 14, channels: 8 }, square: { rows: 7, pixels: 7, channels: 4 } } as const satisfies Record<string, K3Block>;
export type K3BlockName = keyof typeof K3_BLOCKS;

/** What a block's shaders add to their names: conv2d_forward_k3 (wide), conv2d_forward_k3_square; likewise
 *  backward-data. */
export function k3Suffix(name: K3BlockName): string {
  return name === 'wide' ? '' : `_${name}`;
}
