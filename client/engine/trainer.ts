// One model training on one GPU device: owns the parameter, gradient, optimizer-state (momentum SGD's velocity, or
// AdamW's two moments) and leader buffers, the dataset on the GPU, and the replayed dispatches of a training step.
import { autotuneGridStride, autotuneMatmul, matmulKey } from '../gpu/autotune.ts';
import type { MatmulVariant } from '../gpu/matmul.ts';
import { ADAMW_HYPER_BYTES, adamwUpdateDispatch, writeAdamwHyper } from '../gpu/adamw_update.ts';
import type { GpuHandle } from '../gpu/device.ts';
import { bufferBytes, encodeDispatches, PipelineCache, type Dispatch } from '../gpu/dispatch.ts';
import { readBuffer } from '../gpu/readback.ts';
import { gatherBatchDispatch, packBytes } from '../gpu/gather_batch.ts';
import { gatherTokensDispatch } from '../gpu/gather_tokens.ts';
import { leaderPullDispatch } from '../gpu/leader_pull.ts';
import { lsgdUpdateDispatch, UPDATE_HYPER_BYTES, writeUpdateHyper, type UpdatePulls } from '../gpu/lsgd_update.ts';
import { STATS_FLOATS } from '../gpu/softmax_xent.ts';
import { buildModelPlan, type ModelPlan } from './model_plan.ts';
import type { DataSplit } from '../../shared/dataset.ts';
import { initialParameters } from '../../shared/init.ts';
import { checkedLeaderCopy } from '../../shared/leader_copy.ts';
import { parameterLayout, type ParameterLayout } from '../../shared/layout.ts';
import { isSequenceModel, outputPositions, shapeSize, type ModelSpec } from '../../shared/model.ts';
import { MinibatchOrder, trainingSamples } from '../../shared/minibatch.ts';
import { dropoutSeed } from '../../shared/reference/dropout.ts';
import { evaluationSamples } from '../../shared/reference/model.ts';
import type { UpdateHyper } from '../../shared/reference/lsgd_update.ts';
import type { AdamwRates } from '../../shared/reference/training_segment.ts';
import type { Pull } from '../../shared/run_config.ts';
import type { CommittedState } from '../../shared/state_digest.ts';

/** AdamW in place of momentum SGD (hyper.momentum is then unused): its moments start at zero at firstStep. */
export interface AdamwOptions extends AdamwRates {
  kind: 'adamw';
}

export interface TrainerOptions {
  spec: ModelSpec;
  batch: number;
  /** Initialisation seed: every worker of a run starts from the same weights. */
  seed: number;
  /** Sample-order seed (shared/minibatch.ts): the coordinator issues one per tab. Defaults to `seed`. */
  shuffleSeed?: number;
  /** The run step the first step of this trainer is (a tab joining mid-run): it names the minibatches. Default 0. */
  firstStep?: number;
  hyper: Omit<UpdateHyper, 'useLocal' | 'useGlobal'>;
  /** Momentum SGD when absent. */
  optimizer?: AdamwOptions;
  /** How the leader copies act (shared/run_config.ts PULLS): 'periodic' only when pullTowardLeaders() is called,
   *  'penalty' inside every step's update. Default 'periodic'. */
  pull?: Pull;
  train: DataSplit;
  /** Starting weights; the seeded initialisation when absent. */
  initial?: Float32Array;
}

/** Parameters and the optimizer's state (velocity, or AdamW's moments and the step they started at): everything a
 *  step's result depends on besides the minibatch and the rates. */
export type TrainerState = CommittedState;

export interface WindowStats {
  samples: number;
  loss: number;
  accuracy: number;
}

// A function, not a constant: in Node the WebGPU globals appear only once Dawn is loaded.
const storageUsage = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
/** Samples per evaluation batch: images, or windows of a sequence model's context (each a context of logit rows). */
const EVAL_BATCH = 250;
const EVAL_WINDOWS = 16;

interface GpuSplit {
  count: number;
  pixels: GPUBuffer;
  labels: GPUBuffer;
}

export class Trainer {
  readonly layout: ParameterLayout;
  private readonly cache: PipelineCache;
  private readonly device: GPUDevice;
  private readonly buffers: GPUBuffer[] = [];
  private readonly params: GPUBuffer;
  private readonly indices: GPUBuffer;
  private readonly stats: GPUBuffer;
  private readonly hyperBuffer: GPUBuffer;
  private readonly leaders: { local: GPUBuffer; global: GPUBuffer };
  /** The dispatches of a step up to the gradient (gather, forward, loss, backward), in order. */
  private readonly gradientDispatches: Dispatch[] = [];
  /** The fused update for each combination of leader pulls ('' none, 'L', 'G', 'LG'): one pipeline each. */
  private readonly updates = new Map<string, Dispatch>();
  /** The periodic pull for each combination but none ('L', 'G', 'LG'). */
  private readonly pulls = new Map<string, Dispatch>();
  /** Set by buildStep: the gradient buffer the update consumes. */
  private grads: GPUBuffer | null = null;
  private readonly plans: ModelPlan[] = [];
  private readonly trainSplit: GpuSplit;
  private testSplit: GpuSplit | null = null;
  /** Momentum SGD's velocity, or AdamW's first moment. */
  private readonly velocity: GPUBuffer;
  /** AdamW's second moment. */
  private readonly secondMoment: GPUBuffer | null;
  private hyper: UpdateHyper;
  /** The run step of the last computeGradient: the step whose update applyGradient takes. */
  private gradientStep: number | null = null;
  private readonly order: MinibatchOrder;
  /** Steps taken by this trainer; the run step of the next one is firstStep + steps. */
  steps = 0;

  private constructor(
    readonly handle: GpuHandle,
    readonly options: TrainerOptions,
  ) {
    const { spec, batch } = options;
    this.device = handle.device;
    this.cache = new PipelineCache(this.device);
    this.layout = parameterLayout(spec);
    this.hyper = { ...options.hyper, useLocal: false, useGlobal: false };
    if (options.train.count < batch) throw new Error(`the training split has ${options.train.count} samples, fewer than one batch of ${batch}`);
    this.order = new MinibatchOrder(trainingSamples(spec, options.train.count), batch, options.shuffleSeed ?? options.seed);
    this.trainSplit = this.uploadSplit(options.train);
    const floats = this.layout.length;
    this.params = this.buffer(floats);
    this.device.queue.writeBuffer(this.params, 0, options.initial ?? initialParameters(spec, options.seed, this.layout));
    this.velocity = this.buffer(floats);
    this.secondMoment = options.optimizer ? this.buffer(floats) : null;
    this.leaders = { local: this.buffer(floats), global: this.buffer(floats) };
    this.indices = this.buffer(batch);
    this.stats = this.buffer(STATS_FLOATS);
    const hyperBytes = options.optimizer ? ADAMW_HYPER_BYTES : UPDATE_HYPER_BYTES;
    this.hyperBuffer = this.device.createBuffer({ size: hyperBytes, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.buffers.push(this.hyperBuffer);
    this.writeHyper(this.runStep);
  }

  /** Builds everything a step needs, after timing the matmul variants on this adapter. */
  static async create(handle: GpuHandle, options: TrainerOptions): Promise<Trainer> {
    const t = new Trainer(handle, options);
    await t.buildStep();
    return t;
  }

  get adapterName(): string {
    return this.handle.adapterName;
  }

  /** Whole batches per pass over the training split (the remainder of a shuffled epoch is dropped). */
  get stepsPerEpoch(): number {
    return this.order.stepsPerEpoch;
  }

  /** The run step the next step() is. */
  get runStep(): number {
    return this.firstStep + this.steps;
  }

  /** The run step this trainer's first step is, where its optimizer state started from zero. */
  get firstStep(): number {
    return this.options.firstStep ?? 0;
  }

  get epochs(): number {
    return this.steps / this.stepsPerEpoch;
  }

  setHyper(h: Partial<Omit<UpdateHyper, 'useLocal' | 'useGlobal'>>): void {
    this.hyper = { ...this.hyper, ...h };
    this.writeHyper(this.runStep);
  }

  /** A leader copy to pull toward (validated first), or null to stop pulling toward that leader. */
  setLeader(kind: 'local' | 'global', weights: ArrayLike<number> | ArrayBuffer | null): void {
    const use = kind === 'local' ? 'useLocal' : 'useGlobal';
    if (weights === null) {
      this.hyper = { ...this.hyper, [use]: false };
    } else {
      const copy = checkedLeaderCopy(weights, this.layout.length);
      this.device.queue.writeBuffer(this.leaders[kind], 0, copy);
      this.hyper = { ...this.hyper, [use]: true };
    }
  }

  /** The dispatches of one step, in order (replayed by step(); timed one by one by bench/step_profile.ts). */
  get stepDispatches(): Dispatch[] {
    return [...this.gradientDispatches, this.update(this.options.pull === 'penalty' ? this.hyper : NO_PULLS)];
  }

  /** The periodic pull (a communication step): moves the weights toward the leader copies held (setLeader) that
   *  `which` names, outside momentum. Queued behind the steps submitted so far. Returns the pulls taken. */
  pullTowardLeaders(which: { local: boolean; global: boolean }): UpdatePulls {
    const pulls = { useLocal: which.local && this.hyper.useLocal, useGlobal: which.global && this.hyper.useGlobal };
    const dispatch = this.pulls.get(pullsKey(pulls));
    if (dispatch) this.submit([dispatch]);
    return pulls;
  }

  /** Encodes one whole training step (gather, forward, loss, backward, update) into one command buffer. */
  step(): void {
    if (this.options.optimizer) this.writeHyper(this.runStep);
    this.submitStep(this.stepDispatches);
  }

  /** Half a step for synchronous data parallelism: the gradient of run step `runStep`'s minibatch at the current
   *  weights, read back (the loss counts into the stats window as usual). Weights are left as they are. */
  async computeGradient(runStep: number): Promise<Float32Array> {
    this.gradientStep = runStep;
    this.submitStep(this.gradientDispatches, runStep);
    return new Float32Array(await readBuffer(this.device, this.grads!, this.layout.length * 4));
  }

  /** The other half: the fused update (the optimizer's step) with `grad` in place of the local gradient and every
   *  leader pull off, so all workers applying the same gradient to the same weights stay identical. AdamW's step is
   *  that of the last computeGradient's run step (a refused step computed again is still one step). */
  applyGradient(grad: ArrayLike<number> | ArrayBuffer): void {
    this.device.queue.writeBuffer(this.grads!, 0, checkedLeaderCopy(grad, this.layout.length));
    if (this.options.optimizer) this.writeHyper(this.gradientStep ?? this.runStep);
    this.submit([this.update(NO_PULLS)]);
  }

  /** Closes the current stats window: resolves with the mean loss and accuracy of the steps since the last call.
   *  The copy is queued behind the submitted steps, so calling it never stalls training. */
  readStats(): Promise<WindowStats> {
    return this.takeStats(this.stats);
  }

  /** Test loss and accuracy of the current weights on a split (whole batches of 250 images, or of 16 windows of a
   *  sequence model's context laid end to end), forward passes only. */
  async evaluate(split: DataSplit): Promise<WindowStats> {
    if (!this.testSplit || this.testSplit.count !== split.count) {
      this.testSplit?.pixels.destroy();
      this.testSplit?.labels.destroy();
      this.testSplit = this.uploadSplit(split);
    }
    const { spec } = this.options;
    const sequence = isSequenceModel(spec);
    const evalBatch = sequence ? EVAL_WINDOWS : EVAL_BATCH;
    const samples = evaluationSamples(spec, split.count);
    const x = this.buffer(evalBatch * shapeSize(spec.input));
    const labels = this.buffer(evalBatch * outputPositions(spec));
    const stats = this.buffer(STATS_FLOATS);
    const idx = this.buffer(evalBatch);
    const plan = buildModelPlan(this.cache, spec, this.layout, evalBatch, { x, labels, params: this.params, stats }, this.variantFor);
    const gather = this.gather(evalBatch, this.testSplit, idx, x, labels);
    const full = Math.floor(samples / evalBatch) * evalBatch;
    if (full === 0) throw new Error(`evaluation needs at least ${evalBatch} ${sequence ? `windows of ${spec.input.width} bytes` : 'samples'}, got ${samples}`);
    // a window w covers bytes [w * context, (w + 1) * context)
    const stride = sequence ? spec.input.width : 1;
    for (let start = 0; start < full; start += evalBatch) {
      this.device.queue.writeBuffer(idx, 0, Uint32Array.from({ length: evalBatch }, (_, i) => (start + i) * stride));
      this.submit([gather, ...plan.forward, ...plan.loss]);
    }
    const result = await this.takeStats(stats);
    plan.destroy();
    for (const b of [x, labels, stats, idx]) b.destroy();
    return result;
  }

  /** The minibatch gather from a split on the GPU: images scaled to 0..1, or windows of byte tokens and the bytes
   *  that follow them. */
  private gather(batch: number, split: GpuSplit, indices: GPUBuffer, x: GPUBuffer, labels: GPUBuffer): Dispatch {
    const { spec } = this.options;
    const data = { pixels: split.pixels, labels: split.labels, x, y: labels };
    return isSequenceModel(spec)
      ? gatherTokensDispatch(this.cache, { batch, context: spec.input.width, starts: indices, ...data })
      : gatherBatchDispatch(this.cache, { batch, sampleSize: shapeSize(spec.input), indices, ...data });
  }

  async getParams(): Promise<Float32Array> {
    return new Float32Array(await readBuffer(this.device, this.params, this.layout.length * 4));
  }

  /** The state after every step submitted so far. The copies are queued at once, so training may go on while
   *  they travel; awaiting is only for the caller. */
  async getState(): Promise<TrainerState> {
    const bytes = this.layout.length * 4;
    const read = (b: GPUBuffer) => readBuffer(this.device, b, bytes).then((r) => new Float32Array(r));
    const [params, velocity] = [read(this.params), read(this.velocity)];
    if (!this.secondMoment) return { params: await params, velocity: await velocity };
    const secondMoment = read(this.secondMoment);
    return { params: await params, velocity: await velocity, secondMoment: await secondMoment, momentsFrom: this.firstStep };
  }

  setParams(weights: ArrayLike<number> | ArrayBuffer): void {
    this.device.queue.writeBuffer(this.params, 0, checkedLeaderCopy(weights, this.layout.length));
  }

  /** Resolves when the GPU has finished everything submitted so far. */
  flush(): Promise<void> {
    return this.device.queue.onSubmittedWorkDone();
  }

  destroy(): void {
    for (const p of this.plans) p.destroy();
    for (const b of this.buffers) b.destroy();
    this.testSplit?.pixels.destroy();
    this.testSplit?.labels.destroy();
  }

  /** The uniform the update and the periodic pull read: the rates, and for AdamW the bias corrections of the update
   *  at run step `runStep` (written before each, so the dispatches stay the same). */
  private writeHyper(runStep: number): void {
    const adamw = this.options.optimizer;
    if (adamw) writeAdamwHyper(this.device, this.hyperBuffer, { ...this.hyper, ...adamw }, runStep - this.firstStep + 1);
    else writeUpdateHyper(this.device, this.hyperBuffer, this.hyper);
  }

  private update(pulls: UpdatePulls): Dispatch {
    return this.updates.get(pullsKey(pulls))!;
  }

  private dropoutSeeds: ModelPlan['dropoutSeeds'] = [];

  private get shuffleSeed(): number {
    return this.options.shuffleSeed ?? this.options.seed;
  }

  private variantFor = (s: Parameters<typeof matmulKey>[0]) => this.variants.get(matmulKey(s)) ?? 'vec4';
  private variants = new Map<string, MatmulVariant>();

  private async buildStep(): Promise<void> {
    const { spec, batch } = this.options;
    const x = this.buffer(batch * shapeSize(spec.input));
    const labels = this.buffer(batch * outputPositions(spec));
    const grads = this.buffer(this.layout.length);
    this.grads = grads;
    const planBuffers = { x, labels, params: this.params, grads, stats: this.stats };
    // The first build only lists the matmul shapes; the second uses the variant that won on this adapter.
    const probe = buildModelPlan(this.cache, spec, this.layout, batch, planBuffers, () => 'vec4');
    probe.destroy();
    this.variants = await autotuneMatmul(this.cache, probe.matmuls);
    await autotuneGridStride(this.cache, this.layout.length);
    const plan = buildModelPlan(this.cache, spec, this.layout, batch, planBuffers, this.variantFor);
    this.plans.push(plan);
    this.dropoutSeeds = plan.dropoutSeeds;
    const gather = this.gather(batch, this.trainSplit, this.indices, x, labels);
    for (const useLocal of [false, true]) {
      for (const useGlobal of [false, true]) {
        const pulls = { useLocal, useGlobal };
        const common = { length: this.layout.length, pulls, params: this.params, grads, localLeader: this.leaders.local, globalLeader: this.leaders.global, hyper: this.hyperBuffer };
        const update = this.secondMoment
          ? adamwUpdateDispatch(this.cache, { ...common, m: this.velocity, v: this.secondMoment })
          : lsgdUpdateDispatch(this.cache, { ...common, velocity: this.velocity });
        this.updates.set(pullsKey(pulls), update);
        if (useLocal || useGlobal) {
          const leaders = { localLeader: this.leaders.local, globalLeader: this.leaders.global };
          this.pulls.set(pullsKey(pulls), leaderPullDispatch(this.cache, { length: this.layout.length, pulls, params: this.params, ...leaders, hyper: this.hyperBuffer }));
        }
      }
    }
    this.gradientDispatches.push(gather, ...plan.forward, ...plan.loss, ...plan.backward);
  }

  private submitStep(dispatches: Dispatch[], runStep = this.runStep): void {
    this.device.queue.writeBuffer(this.indices, 0, this.order.indices(runStep));
    // dropout masks are named by the run step, so a replay of this step on the CPU draws the same ones
    for (const d of this.dropoutSeeds) this.device.queue.writeBuffer(d.buffer, 0, Uint32Array.of(dropoutSeed(this.shuffleSeed, runStep, d.op)));
    this.submit(dispatches);
    this.steps++;
  }

  /** One command buffer holding one compute pass of `dispatches`. */
  private submit(dispatches: Dispatch[]): void {
    const encoder = this.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    encodeDispatches(pass, dispatches);
    pass.end();
    this.device.queue.submit([encoder.finish()]);
  }

  private async takeStats(stats: GPUBuffer): Promise<WindowStats> {
    const bytes = await readBuffer(this.device, stats, STATS_FLOATS * 4, (encoder) => encoder.clearBuffer(stats));
    const [lossSum, correct, samples] = new Float32Array(bytes);
    return { samples, loss: samples > 0 ? lossSum / samples : NaN, accuracy: samples > 0 ? correct / samples : NaN };
  }

  private uploadSplit(split: DataSplit): GpuSplit {
    const pixels = this.device.createBuffer({ size: bufferBytes(split.pixels.length), usage: storageUsage() });
    this.device.queue.writeBuffer(pixels, 0, packBytes(split.pixels));
    const labels = this.device.createBuffer({ size: bufferBytes(split.labels.length), usage: storageUsage() });
    this.device.queue.writeBuffer(labels, 0, packBytes(split.labels));
    return { count: split.count, pixels, labels };
  }

  private buffer(floats: number): GPUBuffer {
    const b = this.device.createBuffer({ size: bufferBytes(floats * 4), usage: storageUsage() });
    this.buffers.push(b);
    return b;
  }
}

const NO_PULLS: UpdatePulls = { useLocal: false, useGlobal: false };

function pullsKey(p: UpdatePulls): string {
  return `${p.useLocal ? 'L' : ''}${p.useGlobal ? 'G' : ''}`;
}
