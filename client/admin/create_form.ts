// The create-run form: presets fill it, the shared zod schema checks it in the browser, and the server's
// 400 issues land next to the fields they name (the same field paths on both sides). The model has an editor of
// its own (model_editor.ts).
import { COPY_ENCODINGS, type CopyEncoding } from '../../shared/copy_encoding.ts';
import { AGGREGATES, ALGORITHMS, describeIssues, OPTIMIZERS, PULLS, runConfigSchema, type Optimizer, type Pull, type RunConfigInput, type RunView } from '../../shared/run_config.ts';
import { ApiError, type Api, type FieldIssue } from './api.ts';
import { byId, el } from './dom.ts';
import { OPTIMIZER_LABELS } from './model_cost.ts';
import { ModelEditor } from './model_editor.ts';
import { RUN_PRESETS } from './presets.ts';

const NUMBER_FIELDS = ['seed', 'hyper.lr', 'hyper.momentum', 'hyper.batch', 'hyper.tau', 'hyper.lambdaL', 'hyper.lambdaG', 'stop.steps', 'stop.minutes', 'stop.targetAccuracy'];
/** Number fields only one algorithm reads: sent only for it, so a hidden field cannot refuse another's run. */
const ALGORITHM_NUMBER_FIELDS: Record<string, string[]> = {
  lsgd: ['hyper.tauG'], easgd: ['hyper.alpha'], 'sync-sgd': ['hyper.byzantine'], parle: ['hyper.gamma', 'hyper.rho'], grawa: ['hyper.lambda'],
};
/** AdamW's knobs, sent only for it; blank ones take their defaults (shared/run_config.ts adamwRates). */
const ADAMW_NUMBER_FIELDS = ['hyper.beta1', 'hyper.beta2', 'hyper.eps', 'hyper.weightDecay'] as const;

/** What each pull does, shown under the choice. */
const PULL_HINTS: Record<Pull, string> = {
  periodic: 'Periodic (the LSGD paper\'s rule): every τ steps a tab moves the fraction λL of the way to its machine\'s leader, and every τG steps λG of the way to the global leader, outside momentum. λ in [0, 1]; the paper uses 0.1.',
  penalty: 'Penalty: λL (x − local leader) + λG (x − global leader) is added to the gradient at every step, inside momentum (Flock\'s earlier rule; λ is a rate, not a fraction).',
};

/** What each copy encoding costs and saves, shown under the choice. */
const COPY_ENCODING_HINTS: Record<CopyEncoding, string> = {
  f32: 'f32: leader copies arrive exact, 4 bytes a weight.',
  f16: 'f16: half the bytes; each weight rounded to the nearest half-precision value (within 0.05%; beyond ±65504 clamped).',
  int8: 'int8: about a quarter of the bytes; each weight rounded to a multiple of 1/127 of the largest |weight| in its block of 256.',
};

export class CreateForm {
  private readonly view = byId('create-view');
  private readonly form = byId<HTMLFormElement>('create-form');
  private readonly preset = byId<HTMLSelectElement>('preset');
  private readonly model = new ModelEditor(() => ({ batch: this.batch(), optimizer: this.optimizer() }));

  constructor(private readonly api: Api, private readonly onCreated: (run: RunView) => void, private readonly onCancel: () => void) {
    this.preset.append(...RUN_PRESETS.map((p) => el('option', { value: p.id }, p.label)));
    byId('f-algorithm').append(...ALGORITHMS.map((a) => el('option', { value: a }, a)));
    byId('f-aggregate').append(...AGGREGATES.map((a) => el('option', { value: a }, a)));
    byId('f-pull').append(...PULLS.map((p) => el('option', { value: p }, p)));
    byId('f-copy-encoding').append(...COPY_ENCODINGS.map((e) => el('option', { value: e }, e)));
    byId('f-optimizer').append(...OPTIMIZERS.map((o) => el('option', { value: o }, OPTIMIZER_LABELS[o])));
    this.field('hyper.optimizer').addEventListener('change', () => {
      this.showOptimizerFields();
      this.model.refresh();
    });
    this.field('hyper.batch').addEventListener('input', () => this.model.refresh());
    this.field('dataset').addEventListener('change', () => this.model.setDataset(this.field('dataset').value));
    this.field('copyEncoding').addEventListener('change', () => this.showCopyEncodingHint());
    this.field('hyper.pull').addEventListener('change', () => this.showPullHint());
    this.preset.addEventListener('change', () => this.applyPreset(this.preset.value));
    this.field('algorithm').addEventListener('change', () => this.showAlgorithmFields());
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.submit();
    });
    // the custom spec's issues show at the model field
    this.form.addEventListener('input', (e) => this.clearIssue((e.target as HTMLElement).getAttribute('name')?.replace(/^modelSpec$/, 'model') ?? ''));
    this.form.querySelector('[data-action="cancel-create"]')!.addEventListener('click', () => this.onCancel());
  }

  setDatasets(names: string[]): void {
    const select = byId<HTMLSelectElement>('f-dataset');
    const current = select.value;
    select.replaceChildren(...names.map((n) => el('option', { value: n }, n)));
    if (names.includes(current)) select.value = current;
    // the model editor asks for a dataset's shape only while the form is open: the question loads the dataset
    if (!this.view.hidden && select.value) this.model.setDataset(select.value);
  }

  open(): void {
    this.view.hidden = false;
    this.applyPreset(this.preset.value || RUN_PRESETS[0].id);
    this.field('name').focus();
  }

  close(): void {
    this.view.hidden = true;
  }

  private field(name: string): HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement {
    return this.form.elements.namedItem(name) as HTMLInputElement;
  }

  private applyPreset(id: string): void {
    const preset = RUN_PRESETS.find((p) => p.id === id) ?? RUN_PRESETS[0];
    const c = preset.config;
    this.preset.value = preset.id;
    this.showIssues([]);
    this.field('name').value = c.name;
    const dataset = this.field('dataset') as HTMLSelectElement;
    if ([...dataset.options].some((o) => o.value === c.dataset)) dataset.value = c.dataset;
    this.field('algorithm').value = c.algorithm ?? ALGORITHMS[0];
    this.field('copyEncoding').value = c.copyEncoding ?? COPY_ENCODINGS[0];
    this.field('hyper.aggregate').value = c.hyper.aggregate ?? AGGREGATES[0];
    this.field('hyper.byzantine').value = String(c.hyper.byzantine ?? 0);
    this.field('hyper.pull').value = c.hyper.pull ?? PULLS[0];
    this.field('hyper.optimizer').value = c.hyper.optimizer ?? OPTIMIZERS[0];
    for (const knob of ['tauG', 'alpha', 'gamma', 'rho', 'lambda', 'beta1', 'beta2', 'eps', 'weightDecay'] as const) {
      this.field(`hyper.${knob}`).value = c.hyper[knob] === undefined ? '' : String(c.hyper[knob]);
    }
    const values: Record<string, number | undefined> = {
      seed: c.seed, 'hyper.lr': c.hyper.lr, 'hyper.momentum': c.hyper.momentum, 'hyper.batch': c.hyper.batch, 'hyper.tau': c.hyper.tau,
      'hyper.lambdaL': c.hyper.lambdaL, 'hyper.lambdaG': c.hyper.lambdaG, 'stop.steps': c.stop.steps, 'stop.minutes': c.stop.minutes,
      'stop.targetAccuracy': c.stop.targetAccuracy,
    };
    for (const name of NUMBER_FIELDS) this.field(name).value = values[name] === undefined ? '' : String(values[name]);
    if (dataset.value) this.model.setDataset(dataset.value);
    this.model.set(c.model);
    this.showAlgorithmFields();
    this.showOptimizerFields();
    this.showPullHint();
    this.showCopyEncodingHint();
  }

  private showCopyEncodingHint(): void {
    byId('copy-encoding-hint').textContent = COPY_ENCODING_HINTS[this.field('copyEncoding').value as CopyEncoding] ?? '';
  }

  private showPullHint(): void {
    byId('pull-hint').textContent = PULL_HINTS[this.field('hyper.pull').value as Pull] ?? '';
  }

  private batch(): number | null {
    const raw = this.field('hyper.batch').value.trim();
    return raw === '' ? null : Number(raw);
  }

  private optimizer(): Optimizer {
    return this.field('hyper.optimizer').value as Optimizer;
  }

  /** AdamW's betas, eps and weight decay show only for it. */
  private showOptimizerFields(): void {
    for (const f of this.form.querySelectorAll<HTMLElement>('[data-optimizer]')) f.hidden = f.dataset.optimizer !== this.optimizer();
  }

  /** Fields of one algorithm only (sync-sgd's aggregate and f, parle's gamma and rho, ...) show when it is chosen. */
  private showAlgorithmFields(): void {
    for (const f of this.form.querySelectorAll<HTMLElement>('[data-algorithm]')) f.hidden = f.dataset.algorithm !== this.field('algorithm').value;
  }

  /** The form as the API's JSON body; a blank number field is left out, so the schema names it if it is required. */
  private body(): Record<string, unknown> {
    const body: Record<string, unknown> = { name: this.field('name').value, model: this.model.choice(), dataset: this.field('dataset').value,
      algorithm: this.field('algorithm').value, copyEncoding: this.field('copyEncoding').value, hyper: {}, stop: {} };
    for (const name of NUMBER_FIELDS) {
      const raw = this.field(name).value.trim();
      if (raw === '') continue;
      const [group, key] = name.includes('.') ? name.split('.') : [null, name];
      const target = group ? (body[group] as Record<string, unknown>) : body;
      target[key] = Number(raw);
    }
    const hyper = body.hyper as Record<string, unknown>;
    hyper.optimizer = this.optimizer();
    for (const name of [...(ALGORITHM_NUMBER_FIELDS[String(body.algorithm)] ?? []), ...(hyper.optimizer === 'adamw' ? ADAMW_NUMBER_FIELDS : [])]) {
      const raw = this.field(name).value.trim();
      if (raw !== '') hyper[name.split('.')[1]] = Number(raw);
    }
    if (body.algorithm === 'sync-sgd') hyper.aggregate = this.field('hyper.aggregate').value;
    if (body.algorithm === 'lsgd') hyper.pull = this.field('hyper.pull').value;
    return body;
  }

  private async submit(): Promise<void> {
    const body = this.body();
    const parsed = runConfigSchema.safeParse(body);
    const issues = parsed.success ? [] : describeIssues(parsed.error);
    // the spec's own errors already show under it, each naming its layer
    const modelIssue = (i: FieldIssue) => i.field === 'model' || i.field.startsWith('model.');
    const all = this.model.invalid && issues.some(modelIssue)
      ? [...issues.filter((i) => !modelIssue(i)), { field: 'model', reason: 'the model spec has errors: see under it' }]
      : issues;
    if (all.length > 0) return this.showIssues(all);
    const button = byId<HTMLButtonElement>('create');
    button.disabled = true;
    try {
      const run = await this.api.createRun(body as RunConfigInput);
      this.showIssues([]);
      this.onCreated(run);
    } catch (err) {
      if (err instanceof ApiError && err.issues.length > 0) this.showIssues(err.issues);
      else this.showIssues([{ field: '(body)', reason: (err as Error).message }]);
    } finally {
      button.disabled = false;
    }
  }

  /** Each issue under the field it names, or under the nearest enclosing one ("model.layers" shows at "model"). */
  private showIssues(issues: FieldIssue[]): void {
    for (const slot of this.form.querySelectorAll<HTMLElement>('[data-error-for]')) slot.textContent = '';
    for (const input of this.form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
    for (const issue of issues) {
      const slot = this.slotFor(issue.field);
      const at = slot.dataset.errorFor!;
      const text = at === '(body)' && issue.field !== '(body)' ? `${issue.field}: ${issue.reason}` : issue.reason;
      slot.textContent = slot.textContent ? `${slot.textContent} ${text}` : text;
      this.markInvalid(at);
    }
    this.form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }

  private markInvalid(field: string): void {
    const input = this.form.elements.namedItem(field);
    if (input instanceof HTMLElement) input.setAttribute('aria-invalid', 'true');
  }

  private slotFor(field: string): HTMLElement {
    const parts = field.split('.');
    while (parts.length > 0) {
      const slot = this.form.querySelector<HTMLElement>(`[data-error-for="${parts.join('.')}"]`);
      if (slot) return slot;
      parts.pop();
    }
    return this.form.querySelector<HTMLElement>('[data-error-for="(body)"]')!;
  }

  private clearIssue(field: string): void {
    if (!field) return;
    const input = this.form.elements.namedItem(field);
    if (input instanceof HTMLElement) input.removeAttribute('aria-invalid');
    const slot = this.form.querySelector<HTMLElement>(`[data-error-for="${field}"]`);
    if (slot) slot.textContent = '';
  }
}
