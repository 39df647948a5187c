// 0 .. n-1: the loop the shader generators unroll.
export const range = (n: number) => Array.from({ length: n }, (_, i) => i);
