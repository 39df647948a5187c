// Group norm parameter gradients, second pass: dgamma[c] and dbeta[c] sum the CHUNKS partial sums of channel c
// that norm_backward_params.wgsl wrote ([CHUNKS, CHANNELS] each). One invocation per channel.

override CHANNELS: u32;
override CHUNKS: u32;

@group(0) @binding(0) var<storage, read> partialGamma: array<f32>;
@group(0) @binding(1) var<storage, read> partialBeta: array<f32>;
@group(0) @binding(2) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(3) var<storage, read_write> dbeta: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let c = gid.x + gid.y * groups.x * 64u;
  if (c >= CHANNELS) { return; }
  var sumGamma = 0.0;
  var sumBeta = 0.0;
  for (var k = 0u; k < CHUNKS; k++) {
    sumGamma += partialGamma[k * CHANNELS + c];
    sumBeta += partialBeta[k * CHANNELS + c];
  }
  dgamma[c] = sumGamma;
  dbeta[c] = sumBeta;
}
