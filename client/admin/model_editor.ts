// The create form's model: a preset, shown as the spec it will train (fitted to the chosen dataset where the preset
// fits any), or a custom JSON spec. The spec is checked as it is typed with the schema the server uses, and what it
// costs a tab (parameters, FLOPs, memory) shows under it.
import type { ModelSpec } from '../../shared/model.ts';
import { datasetMismatch, MODEL_PRESET_NAMES, MODEL_PRESETS, presetFor, type ModelPresetName, type PresetData } from '../../shared/model_presets.ts';
import { LAYER_KINDS, modelSpecSchema, type Optimizer, type RunConfigInput } from '../../shared/run_config.ts';
import { datasetManifestSchema } from '../../shared/protocol.ts';
import { byId, el } from './dom.ts';
import { costLine } from './model_cost.ts';

const CUSTOM_MODEL = 'custom';

const PRESET_LABELS: Record<ModelPresetName, string> = {
  mlp: 'mlp (MLP 784-256-128-10)',
  cnn: 'cnn (2 conv + dense)',
  resnet: 'resnet (conv + group norm, 2 residual blocks; any image size)',
  'char-transformer': 'char-transformer (2 blocks over 128 bytes of text)',
};

/** One zod issue, flattened: a union of layer kinds reports the branch of the layer's own kind. */
interface SpecIssue { path: PropertyKey[]; message: string; code: string; errors?: SpecIssue[][] }

/** "layer 3.1: kernel: ..." for a field of a layer inside a residual block; "input.height: ..." elsewhere. */
function describePath(path: PropertyKey[]): string {
  const layers: string[] = [];
  let i = 0;
  while (path[i] === 'layers' && typeof path[i + 1] === 'number') {
    layers.push(String(path[i + 1]));
    i += 2;
  }
  const rest = path.slice(i).map(String).join('.');
  return [layers.length > 0 ? `layer ${layers.join('.')}` : '', rest].filter(Boolean).join(': ');
}

function flatten(issue: SpecIssue, prefix: PropertyKey[] = []): string[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors) {
    // the branch whose kind matched is the one the author meant; none matched: the kind itself is wrong
    const own = issue.errors.find((branch) => !branch.some((e) => e.path.length === 1 && e.path[0] === 'kind'));
    if (own) return own.flatMap((e) => flatten(e, path));
    return [`${describePath(path)}: kind must be one of ${LAYER_KINDS.join(', ')}`];
  }
  // modelOps's own messages already name the layer ("layer 3.1: ...")
  return [issue.code === 'custom' ? issue.message : `${describePath(path) || 'spec'}: ${issue.message}`];
}

/** The spec in `text`, or what is wrong with it. */
export function checkSpec(text: string): { spec: ModelSpec } | { errors: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { errors: [`not JSON: ${(err as Error).message}`] };
  }
  const parsed = modelSpecSchema.safeParse(json);
  if (parsed.success) return { spec: parsed.data as ModelSpec };
  return { errors: [...new Set((parsed.error.issues as unknown as SpecIssue[]).flatMap((i) => flatten(i)))] };
}

/** What the dashboard knows of a dataset from its public manifest (GET /api/datasets/:name). */
async function fetchDatasetInfo(name: string): Promise<PresetData> {
  const res = await fetch(`/api/datasets/${encodeURIComponent(name)}`);
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const m = datasetManifestSchema.parse(await res.json());
  return { kind: m.kind, sampleShape: m.sampleShape, classes: m.classes };
}

export class ModelEditor {
  private readonly select = byId<HTMLSelectElement>('f-model');
  private readonly json = byId<HTMLTextAreaElement>('f-model-json');
  private readonly error = byId('model-error');
  private readonly summary = byId('model-summary');
  private readonly datasets = new Map<string, Promise<PresetData>>();
  private dataset: { name: string; info: PresetData | null; problem: string | null } | null = null;

  /** `cost`: the form's batch size (null while it is not a number) and optimizer, which the memory depends on. */
  constructor(private readonly cost: () => { batch: number | null; optimizer: Optimizer }) {
    this.select.append(...MODEL_PRESET_NAMES.map((n) => el('option', { value: n }, PRESET_LABELS[n])), el('option', { value: CUSTOM_MODEL }, 'custom (JSON)'));
    this.select.addEventListener('change', () => this.showPreset());
    this.json.addEventListener('input', () => {
      // an edited preset is a custom spec from then on
      if (this.select.value !== CUSTOM_MODEL && this.json.value !== this.presetText()) this.select.value = CUSTOM_MODEL;
      this.check();
    });
  }

  /** A run preset's model: a preset's name, or a spec. */
  set(model: RunConfigInput['model']): void {
    if (typeof model === 'string') {
      this.select.value = model;
      this.showPreset();
    } else {
      this.select.value = CUSTOM_MODEL;
      this.json.value = JSON.stringify(model, null, 2);
      this.check();
    }
  }

  /** The dataset the run will train on: presets are shown fitted to it, and a spec that does not fit it says why. */
  setDataset(name: string): void {
    if (this.dataset?.name === name) return;
    this.dataset = { name, info: null, problem: null };
    let info = this.datasets.get(name);
    if (!info) {
      info = fetchDatasetInfo(name);
      this.datasets.set(name, info);
      info.catch(() => this.datasets.delete(name));
    }
    info.then(
      (data) => this.datasetArrived(name, data, null),
      (err: Error) => this.datasetArrived(name, null, `the shape of ${name} is not known (${err.message}): presets are shown as defined`),
    );
    this.showPreset();
  }

  /** The model for the run config: a preset's name (the server fits it to the dataset) or the parsed spec; a spec
   *  that is not JSON comes back as the text, for the schema to refuse. */
  choice(): unknown {
    if (this.select.value !== CUSTOM_MODEL) return this.select.value;
    try {
      return JSON.parse(this.json.value);
    } catch {
      return this.json.value;
    }
  }

  /** Whether the spec shows an error now (the submit then adds no second copy of it). */
  get invalid(): boolean {
    return this.error.textContent !== '';
  }

  /** Recomputes the summary line (after the batch size or the optimizer changed). */
  refresh(): void {
    this.check();
  }

  private datasetArrived(name: string, info: PresetData | null, problem: string | null): void {
    if (this.dataset?.name !== name) return;
    this.dataset = { name, info, problem };
    if (this.select.value === CUSTOM_MODEL) this.check();
    else this.showPreset();
  }

  /** The chosen preset as it will train: fitted to the dataset when its shape is known and the preset fits it. */
  private presetSpec(): { spec: ModelSpec; problem: string | null } {
    const name = this.select.value as ModelPresetName;
    const data = this.dataset?.info;
    if (!data) return { spec: MODEL_PRESETS[name], problem: null };
    try {
      return { spec: presetFor(name, data), problem: null };
    } catch (err) {
      return { spec: MODEL_PRESETS[name], problem: (err as Error).message };
    }
  }

  private presetText(): string {
    return JSON.stringify(this.presetSpec().spec, null, 2);
  }

  private showPreset(): void {
    if (this.select.value === CUSTOM_MODEL) return this.check();
    this.json.value = this.presetText();
    this.check();
  }

  private check(): void {
    const result = checkSpec(this.json.value);
    const errors = 'errors' in result ? result.errors : [];
    const preset = this.select.value !== CUSTOM_MODEL ? this.presetSpec().problem : null;
    const data = this.dataset?.info;
    const mismatch = 'spec' in result && data && !preset ? datasetMismatch(result.spec, data, this.dataset!.name) : null;
    this.error.textContent = [...errors, preset, mismatch].filter(Boolean).join('\n');
    if (this.invalid) this.json.setAttribute('aria-invalid', 'true');
    else this.json.removeAttribute('aria-invalid');
    const { batch, optimizer } = this.cost();
    const notes = [this.dataset?.problem].filter(Boolean).join(' ');
    this.summary.textContent = 'spec' in result ? `${costLine(result.spec, batch, optimizer)}${notes ? `. ${notes}` : ''}` : '';
  }
}
