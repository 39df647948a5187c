// Token login: the token is checked against the server, then kept in sessionStorage (gone when the tab closes).
import { Api, ApiError } from './api.ts';
import { byId } from './dom.ts';

const STORAGE_KEY = 'flock.adminToken';

/** Resolves with a client whose token the server accepted: the stored one, or one typed into the form. */
export async function logIn(): Promise<Api> {
  const stored = sessionStorage.getItem(STORAGE_KEY);
  if (stored) {
    const api = new Api(stored);
    try {
      await api.checkSession();
      return api;
    } catch (err) {
      sessionStorage.removeItem(STORAGE_KEY);
      if (!(err instanceof ApiError && err.status === 401)) byId('login-error').textContent = (err as Error).message;
    }
  }
  return askForToken();
}

function askForToken(): Promise<Api> {
  const view = byId('login-view');
  const form = byId<HTMLFormElement>('login-form');
  const input = byId<HTMLInputElement>('token');
  const error = byId('login-error');
  view.hidden = false;
  input.focus();
  return new Promise((resolve) => {
    const submit = async (e: SubmitEvent) => {
      e.preventDefault();
      const token = input.value.trim();
      if (!token) {
        error.textContent = 'Enter the admin token.';
        return;
      }
      const api = new Api(token);
      try {
        await api.checkSession();
      } catch (err) {
        error.textContent = err instanceof ApiError && err.status === 401 ? 'Wrong token: use the one the coordinator printed at start-up.' : (err as Error).message;
        input.setAttribute('aria-invalid', 'true');
        return;
      }
      sessionStorage.setItem(STORAGE_KEY, token);
      form.removeEventListener('submit', submit);
      error.textContent = '';
      input.value = '';
      input.removeAttribute('aria-invalid');
      view.hidden = true;
      resolve(api);
    };
    form.addEventListener('submit', submit);
  });
}

export function logOut(): void {
  sessionStorage.removeItem(STORAGE_KEY);
  location.reload();
}
