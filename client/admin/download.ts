// Model download: fetched with the token header and saved through a Blob URL, so the token never sits in a link.
// The manifest is fetched first and the weights pinned to its checkpoint: training goes on meanwhile, and the
// pair must describe the same file (the manifest carries its sha256).
import type { Api } from './api.ts';

export interface Manifest { blob: Blob; name: string; checkpointId: number; weightsName: string }

function save(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  // revoke later: the browser reads the Blob after click() returns
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The manifest of the run's best checkpoint, named after the weights file it describes. */
export async function fetchManifest(api: Api, runId: number): Promise<Manifest> {
  const { blob } = await api.file(`/api/runs/${runId}/model.json`, `flock-${runId}.json`);
  const { file, checkpoint } = JSON.parse(await blob.text()) as { file: string; checkpoint: { id: number } };
  return { blob, name: file.replace(/\.safetensors$/, '.json'), checkpointId: checkpoint.id, weightsName: file };
}

/** Saves the best checkpoint's .safetensors and returns its manifest, for a later manifest download. */
export async function downloadModel(api: Api, runId: number): Promise<Manifest> {
  const manifest = await fetchManifest(api, runId);
  const weights = await api.file(`/api/runs/${runId}/model.safetensors?checkpoint=${manifest.checkpointId}`, manifest.weightsName);
  save(weights.blob, weights.name);
  return manifest;
}

export function saveManifest(m: Manifest): void {
  save(m.blob, m.name);
}
