// Model download: fetched with the token header and saved through a Blob URL, so the token never sits in a link.
import type { Api } from './api.ts';

export async function downloadModel(api: Api, runId: number, what: 'safetensors' | 'json'): Promise<string> {
  const { blob, name } = await api.file(`/api/runs/${runId}/model.${what}`, `flock-${runId}.${what}`);
  // the manifest is named after the weights file it describes
  const fileName = what === 'json' ? String(JSON.parse(await blob.text()).file).replace(/\.safetensors$/, '.json') : name;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  // revoke later: the browser reads the Blob after click() returns
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return fileName;
}
