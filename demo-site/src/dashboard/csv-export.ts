/**
 * CSV export buttons. The export needs the Authorization header, which a plain link cannot send,
 * so the file is fetched and handed to the browser as a Blob download (the key never goes in a URL,
 * where it would end up in history and server logs). The statement download (statement-download.ts)
 * saves its file the same way.
 */
import type { Api, ReportQuery } from './api';
import { ApiError } from './api';
import { h } from './dom';

/** Hands a fetched file to the browser as a download named `filename`. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A button that saves what `fetchBlob` answers as `filename`, with its status (and failure) beside it. */
export function downloadButton(label: string, testid: string, filename: string, fetchBlob: () => Promise<Blob>): HTMLElement {
  const status = h('span', { class: 'inline-status', role: 'status' });
  const button = h('button', { type: 'button', class: 'button secondary', 'data-testid': testid }, label);
  button.addEventListener('click', async () => {
    button.disabled = true;
    status.textContent = 'Preparing…';
    try {
      saveBlob(await fetchBlob(), filename);
      status.textContent = '';
    } catch (err) {
      status.textContent = err instanceof ApiError ? err.message : 'The download failed.';
    } finally {
      button.disabled = false;
    }
  });
  return h('span', { class: 'csv' }, button, status);
}

/** A button that downloads `path` as `filename`. */
export function csvButton(api: Api, path: '/v1/conversions.csv' | '/v1/ledger.csv', filename: string, label: string, q: ReportQuery = {}): HTMLElement {
  return downloadButton(label, `export-${filename.replace('.csv', '')}-csv`, filename, () => api.csv(path, q));
}
