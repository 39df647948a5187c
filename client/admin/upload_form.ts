// The dataset upload form: a name, a format and its files (which inputs show follows the format), sent as one body
// with a progress bar per file; the server's checks land next to the field or file they name.
import { DATASET_NAME_PATTERN, fileProgress, formatFileList, UPLOAD_FORMATS, UPLOAD_PARTS, type DatasetSummary, type UploadFile, type UploadFormat } from '../../shared/dataset_upload.ts';
import { ApiError, type Api, type FieldIssue } from './api.ts';
import { byId, el } from './dom.ts';
import { formatBytes } from './format.ts';

const FORMAT_LABELS: Record<UploadFormat, string> = {
  idx: 'IDX (MNIST format)', cifar10: 'CIFAR-10 binary batches', cifar100: 'CIFAR-100 binary batches', npy: 'NumPy .npy', text: 'UTF-8 text',
};

const FORMAT_HINTS: Record<UploadFormat, string> = {
  idx: 'Images of shape (n, height, width) or (n, height, width, channels) as unsigned bytes, labels of shape (n), for train and for test. Gzipped files are fine.',
  cifar10: 'The binary version\'s batches: data_batch_1.bin … data_batch_5.bin for train, test_batch.bin for test. 10 classes.',
  cifar100: 'The binary version\'s train.bin and test.bin; the fine labels are the classes (100).',
  npy: 'numpy.save files: images uint8 of shape (n, height, width) or (n, height, width, channels), labels uint8, int32 or int64 of shape (n,), for train and for test.',
  text: 'One UTF-8 file, cut by bytes into train (90%), test (5%) and validation (5%), for byte-level language models.',
};

export class UploadForm {
  private readonly form = byId<HTMLFormElement>('upload-form');
  private readonly format = byId<HTMLSelectElement>('u-format');
  private readonly progress = byId('upload-progress');
  private readonly submitButton = byId<HTMLButtonElement>('upload-submit');

  /** `onUploaded`: after a dataset is stored, so the list and the run form's dataset choice follow. */
  constructor(private readonly api: Api, private readonly onUploaded: (d: DatasetSummary) => void) {
    this.format.append(...UPLOAD_FORMATS.map((f) => el('option', { value: f }, FORMAT_LABELS[f])));
    this.format.addEventListener('change', () => this.showFormat());
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.submit();
    });
    this.form.addEventListener('input', (e) => this.clearIssue((e.target as HTMLElement).getAttribute('name') ?? ''));
    this.showFormat();
  }

  private get chosen(): UploadFormat {
    return this.format.value as UploadFormat;
  }

  /** Only the inputs of the chosen format show. */
  private showFormat(): void {
    const parts = UPLOAD_PARTS[this.chosen].map((p) => p.part as string);
    for (const f of this.form.querySelectorAll<HTMLElement>('[data-part]')) f.hidden = !parts.includes(f.dataset.part!);
    for (const f of this.form.querySelectorAll<HTMLElement>('[data-formats]')) f.hidden = !f.dataset.formats!.split(' ').includes(this.chosen);
    byId('upload-hint').textContent = FORMAT_HINTS[this.chosen];
    this.showIssues([]);
    this.progress.replaceChildren();
  }

  private input(name: string): HTMLInputElement {
    return this.form.elements.namedItem(name) as HTMLInputElement;
  }

  /** The files in body order, with their parts, or the issues that keep the form from being sent. */
  private files(): { list: UploadFile[]; blobs: File[]; issues: FieldIssue[] } {
    const list: UploadFile[] = [];
    const blobs: File[] = [];
    const issues: FieldIssue[] = [];
    for (const { part, multiple } of UPLOAD_PARTS[this.chosen]) {
      const chosen = [...(this.input(part).files ?? [])];
      if (chosen.length === 0) issues.push({ field: part, reason: multiple ? 'choose one file or more' : 'choose a file' });
      for (const f of chosen) {
        list.push({ part, bytes: f.size });
        blobs.push(f);
      }
    }
    return { list, blobs, issues };
  }

  private async submit(): Promise<void> {
    const name = this.input('name').value.trim();
    const classes = this.input('classes').value.trim();
    const { list, blobs, issues } = this.files();
    if (!DATASET_NAME_PATTERN.test(name)) issues.unshift({ field: 'name', reason: 'a name is 1 to 64 lowercase letters, digits, - and _, starting with a letter or digit' });
    this.showIssues(issues);
    if (issues.length > 0) return this.progress.replaceChildren();
    const query: Record<string, string> = { name, format: this.chosen, files: formatFileList(list) };
    if (classes !== '' && !this.input('classes').closest<HTMLElement>('[data-formats]')!.hidden) query.classes = classes;

    const bars = this.showProgress(list, blobs);
    byId('upload-status').textContent = '';
    this.submitButton.disabled = true;
    try {
      const stored = await this.api.uploadDataset(query, blobs, (loaded) => fileProgress(list, loaded).forEach((p, i) => bars[i](p)));
      byId('upload-status').textContent = `Uploaded ${stored.name}.`;
      this.form.reset();
      this.showFormat();
      this.onUploaded(stored);
    } catch (err) {
      const issuesFromServer = err instanceof ApiError ? err.issues : [];
      this.showIssues(issuesFromServer, (err as Error).message);
    } finally {
      this.submitButton.disabled = false;
    }
  }

  /** One bar per file; returns a setter per bar (fraction done). */
  private showProgress(list: readonly UploadFile[], blobs: readonly File[]): ((done: number) => void)[] {
    const rows = list.map((f, i) => {
      const bar = el('progress', { max: '1', value: '0', 'data-testid': 'upload-progress', 'data-part': f.part });
      const percent = el('span', {}, '0%');
      const item = el('li', { 'data-part': f.part }, el('span', {}, `${f.part}: ${blobs[i].name} (${formatBytes(f.bytes)})`), bar, percent);
      return { item, set: (done: number) => {
        bar.value = done;
        percent.textContent = `${Math.floor(done * 100)}%`;
      } };
    });
    this.progress.replaceChildren(...rows.map((r) => r.item));
    return rows.map((r) => r.set);
  }

  /** Each issue under the field or file it names; `error`, the server's message, under the form. */
  private showIssues(issues: readonly FieldIssue[], error = ''): void {
    for (const slot of this.form.querySelectorAll<HTMLElement>('[data-error-for]')) slot.textContent = '';
    for (const input of this.form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
    byId('upload-error').textContent = error;
    for (const issue of issues) {
      const slot = this.form.querySelector<HTMLElement>(`[data-error-for="${issue.field}"]`);
      if (slot && slot.id !== 'upload-error') slot.textContent = issue.reason;
      else if (!error) byId('upload-error').textContent = issue.reason;
      const input = this.form.elements.namedItem(issue.field);
      if (input instanceof HTMLElement) input.setAttribute('aria-invalid', 'true');
    }
  }

  private clearIssue(field: string): void {
    if (!field) return;
    this.input(field)?.removeAttribute('aria-invalid');
    const slot = this.form.querySelector<HTMLElement>(`[data-error-for="${field}"]`);
    if (slot) slot.textContent = '';
  }
}
