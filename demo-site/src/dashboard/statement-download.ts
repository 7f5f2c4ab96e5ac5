/**
 * "Download statement" for a signed-in advertiser or publisher: the signed statement of the range
 * shown (`GET /v1/statements`, NDJSON), fetched with the key in the Authorization header and saved
 * as a file, next to a link to the page that verifies it in the browser.
 *
 * Test hooks: `download-statement` (the button), `verify-statement-link`.
 */
import { ApiError, type Api } from './api';
import { saveBlob } from './csv-export';
import { h } from './dom';

/** The page that re-runs a statement file in the browser. */
export const VERIFY_STATEMENT_PAGE = '/dashboard/verify-statement/';

/** The download button and the verify link for the statement from `from` until now. */
export function statementDownload(api: Api, from: number): HTMLElement {
  const status = h('span', { class: 'inline-status', role: 'status' });
  const button = h('button', { type: 'button', class: 'button secondary', 'data-testid': 'download-statement', title: 'Every charge of this range with the facts it was priced on, signed by the operator' }, 'Download statement');
  button.addEventListener('click', async () => {
    button.disabled = true;
    status.textContent = 'Preparing…';
    try {
      const { blob, filename } = await api.statement({ from });
      saveBlob(blob, filename);
      status.textContent = '';
    } catch (err) {
      status.textContent = err instanceof ApiError ? err.message : 'The download failed.';
    } finally {
      button.disabled = false;
    }
  });
  return h('span', { class: 'csv' }, button, status, h('a', { href: VERIFY_STATEMENT_PAGE, 'data-testid': 'verify-statement-link' }, 'Verify a statement'));
}
