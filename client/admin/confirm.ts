// Asks before destructive actions, in a modal <dialog> (so tests can click Confirm/Cancel like a person).
import { byId } from './dom.ts';

export function confirmAction(message: string): Promise<boolean> {
  const dialog = byId<HTMLDialogElement>('confirm');
  byId('confirm-message').textContent = message;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue === 'confirm'), { once: true }));
}
