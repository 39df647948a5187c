// Pipelines built once per (shader, constants) and the dispatches that a training step replays.

export interface Dispatch {
  label: string;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: [number, number, number];
}

export type Binding = GPUBuffer | GPUBufferBinding;

export class PipelineCache {
  /** The most workgroups a grid-stride kernel gets (its loop covers the rest). SwiftShader pays for every
   *  workgroup and runs the update ~1.4x faster with a few long ones; a GPU wants one per 64 elements.
   *  At most the per-dimension limit; set per adapter by autotuneGridStride. */
  maxGridStrideWorkgroups = MAX_WORKGROUPS_PER_DIM;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly modules = new Map<string, GPUShaderModule>();

  constructor(readonly device: GPUDevice) {}

  get(code: string, constants: Record<string, number> = {}, entryPoint = 'main'): GPUComputePipeline {
    const key = `${code}\n${entryPoint}\n${JSON.stringify(constants)}`;
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      let module = this.modules.get(code);
      if (!module) {
        module = this.device.createShaderModule({ code });
        this.modules.set(code, module);
      }
      pipeline = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint, constants } });
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  /** Binding i of group 0 gets buffers[i]. */
  bindGroup(pipeline: GPUComputePipeline, buffers: Binding[]): GPUBindGroup {
    return this.device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: buffers.map((b, binding) => ({ binding, resource: 'buffer' in b ? b : { buffer: b } })),
    });
  }

  dispatch(label: string, code: string, constants: Record<string, number>, buffers: Binding[], workgroups: [number, number?, number?]): Dispatch {
    const pipeline = this.get(code, constants);
    return { label, pipeline, bindGroup: this.bindGroup(pipeline, buffers), workgroups: [workgroups[0], workgroups[1] ?? 1, workgroups[2] ?? 1] };
  }
}

export function encodeDispatches(pass: GPUComputePassEncoder, dispatches: Dispatch[]): void {
  for (const d of dispatches) {
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(...d.workgroups);
  }
}

export const MAX_WORKGROUPS_PER_DIM = 65535;

export const ceilDiv = (a: number, b: number) => Math.ceil(a / b);

/** A buffer size for `bytes` of data: a multiple of 16 and never 0, which every binding accepts. */
export const bufferBytes = (bytes: number) => Math.max(16, ceilDiv(bytes, 16) * 16);

/** Workgroups of 64 for a 1-D kernel of `invocations`, folded into y past the 65535-per-dimension limit; the shader
 * takes id = gid.x + gid.y * num_workgroups.x * 64 and returns past the end. */
export function grid(invocations: number): [number, number] {
  const groups = ceilDiv(invocations, 64);
  const rows = ceilDiv(groups, MAX_WORKGROUPS_PER_DIM);
  return [ceilDiv(groups, rows), rows];
}
