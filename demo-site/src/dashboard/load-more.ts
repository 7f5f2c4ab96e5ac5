/**
 * "Show N older" under a list that pages with the collector's keyset cursor (`next` → `before=`),
 * so a long range is never cut off without a word. `load` appends the next page and says whether
 * there is still more; a failure is shown beside the button, which stays for another try.
 */
import { ApiError } from './api';
import { h } from './dom';

/** The button and its status line; hidden once `load` answers that nothing older is left. */
export function loadMore(label: string, testid: string, hasMore: boolean, load: () => Promise<boolean>): HTMLElement {
  const button = h('button', { type: 'button', class: 'button secondary', 'data-testid': testid }, label);
  const status = h('span', { class: 'inline-status', role: 'status' });
  button.hidden = !hasMore;
  button.addEventListener('click', async () => {
    button.disabled = true;
    status.textContent = 'Loading…';
    try {
      button.hidden = !(await load());
      status.textContent = '';
    } catch (err) {
      status.textContent = err instanceof ApiError ? err.message : 'Could not load older entries.';
    } finally {
      button.disabled = false;
    }
  });
  return h('p', { class: 'more' }, button, status);
}
