// The admin dashboard: log in, then the runs list on the left and either the create form, a run's live view or the
// datasets (list and upload form).
import type { Api } from './api.ts';
import { CreateForm } from './create_form.ts';
import { DatasetsView } from './datasets_view.ts';
import { byId } from './dom.ts';
import { logIn, logOut } from './login.ts';
import { RunsList } from './runs_list.ts';
import { RunViewPanel } from './run_view.ts';
import { UploadForm } from './upload_form.ts';

const LIST_POLL_MS = 3000;

function notify(message: string | null): void {
  const notice = byId('notice');
  notice.hidden = message === null;
  notice.textContent = message ?? '';
}

async function refreshRuns(api: Api, list: RunsList): Promise<void> {
  try {
    list.render(await api.runs());
  } catch (err) {
    notify(`Runs: ${(err as Error).message}`);
  }
}

async function main(): Promise<void> {
  const api = await logIn();
  byId('app').hidden = false;
  const logout = byId('logout');
  logout.hidden = false;
  logout.addEventListener('click', logOut);

  const list: RunsList = new RunsList((id) => openRun(id));
  const refresh = () => void refreshRuns(api, list);
  const runView = new RunViewPanel(api, refresh, () => {
    closeAll();
    refresh();
  }, notify);
  const form = new CreateForm(api, (run) => {
    refresh();
    openRun(run.id);
  }, () => closeAll());

  // an upload or a delete changes the datasets a run may use
  const datasetsChanged = () => void Promise.all([api.status().then((s) => form.setDatasets(s.datasets)), datasetsView.refresh()])
    .catch((err) => notify(`Datasets: ${(err as Error).message}`));
  const datasetsView = new DatasetsView(api, datasetsChanged);
  new UploadForm(api, datasetsChanged);

  function closeAll(): void {
    form.close();
    datasetsView.hide();
    runView.hide();
    list.select(null);
    history.replaceState(null, '', location.pathname);
  }
  function openRun(id: number): void {
    form.close();
    datasetsView.hide();
    list.select(id);
    runView.show(id);
    history.replaceState(null, '', `#run-${id}`);
  }

  document.querySelector('[data-action="datasets"]')!.addEventListener('click', () => {
    closeAll();
    datasetsView.show();
    history.replaceState(null, '', '#datasets');
  });
  document.querySelector('[data-action="new-run"]')!.addEventListener('click', () => {
    datasetsView.hide();
    runView.hide();
    list.select(null);
    form.open();
  });

  const status = await api.status();
  form.setDatasets(status.datasets);
  await refreshRuns(api, list);
  const fromHash = /^#run-(\d+)$/.exec(location.hash)?.[1];
  const first = fromHash ? Number(fromHash) : status.activeRun;
  if (location.hash === '#datasets') datasetsView.show();
  else if (first !== null) openRun(first);
  setInterval(refresh, LIST_POLL_MS);
}

main().catch((err) => {
  byId('app').hidden = false;
  notify(`The dashboard failed to start: ${(err as Error).message}`);
});
