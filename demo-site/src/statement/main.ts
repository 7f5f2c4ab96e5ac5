/**
 * "Verify a statement" (`/dashboard/verify-statement/`, built to demo-site/dist/verify-statement.js):
 * pick a statement file and the browser re-runs it with the collector's own verifier
 * (collector/src/core/verify-statement.ts, fed by core/read-statement.ts) — every charge
 * re-calculated from its facts, the ledger chain, the operator's signature — and says ✓ with a
 * summary or ✗ with the first entry that does not add up. The file is read in the browser and never
 * uploaded; the only request is for the operator's published keys (`/.well-known/perfpixel-keys.json`).
 *
 * Test hooks: `statement-file` (the file input), `statement-progress` (`data-bytes`), `statement-verdict`
 * (`data-ok`, `data-seq`), `statement-total` (one per account and currency, `data-account`,
 * `data-currency`, `data-net-micros`), `statement-key` (`data-published`), `statement-entries`.
 */
import { readStatement } from '../../../collector/src/core/read-statement';
import { createStatementVerifier, type StatementVerdict, type TrustedKey } from '../../../collector/src/core/verify-statement';
import { h, mount } from '../dashboard/dom';
import { formatCount } from '../dashboard/format-money';
import { sha256, verifyEd25519 } from './browser-crypto';
import { entriesWords, failureWords, keyWords, partyWords, periodWords, totalRows } from './statement-words';

const app = document.getElementById('app')!;
/** How long the reader may work before the page lets the screen repaint (progress stays live on big files). */
const FRAME_MS = 60;

/** The operator's published keys from this page's origin, or null when they cannot be loaded. */
async function publishedKeys(): Promise<TrustedKey[] | null> {
  try {
    const res = await fetch('/.well-known/perfpixel-keys.json', { headers: { Accept: 'application/json' } });
    if (!res.ok) return null;
    const doc = (await res.json()) as { keys?: TrustedKey[] };
    return Array.isArray(doc.keys) ? doc.keys.map((k) => ({ keyId: k.keyId, publicKey: k.publicKey })) : null;
  } catch {
    return null;
  }
}

function sizeWords(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

const nextFrame = () => new Promise<void>((ok) => setTimeout(ok, 0));

function topbar(): HTMLElement {
  return h(
    'header',
    { class: 'topbar' },
    h('a', { href: '/', class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }), 'perfpixel'),
    h(
      'nav',
      { class: 'tabs', 'aria-label': 'Pages' },
      h('a', { href: '/dashboard/', class: 'tab' }, 'Dashboard'),
      h('a', { href: '/dashboard/verify-statement/', class: 'tab', 'aria-current': 'page' }, 'Verify a statement'),
      h('a', { href: '/verify/', class: 'tab tab-extra' }, 'Verify my tag'),
    ),
  );
}

function render(): void {
  const input = h('input', { type: 'file', id: 'statement-file', accept: '.ndjson,.jsonl,.json,application/x-ndjson,text/plain', class: 'visually-hidden', 'data-testid': 'statement-file' });
  const drop = h(
    'label',
    { for: 'statement-file', class: 'drop-zone', 'data-testid': 'statement-drop' },
    h('span', { class: 'drop-icon', 'aria-hidden': 'true' }, '⇪'),
    h('strong', {}, 'Choose a statement file'),
    h('span', { class: 'muted' }, 'or drop it here — a file named like statement-….ndjson'),
  );
  const result = h('div', { class: 'statement-result', 'aria-live': 'polite' });
  let running: AbortController | null = null;

  const check = async (file: File) => {
    running?.abort();
    const stop = (running = new AbortController());
    const bar = h('progress', { max: String(Math.max(file.size, 1)), value: '0', 'data-testid': 'statement-progress', 'data-bytes': '0' });
    const said = h('span', {}, 'Loading the operator’s published keys…');
    mount(
      result,
      h(
        'section',
        { class: 'card checking', 'aria-busy': 'true' },
        h('h2', {}, `Checking ${file.name}`),
        h('p', { class: 'muted' }, `${sizeWords(file.size)} · read on this computer, nothing is uploaded`),
        bar,
        h('p', { class: 'progress-words', role: 'status' }, said),
        h('button', { type: 'button', class: 'button small secondary', onclick: () => stop.abort() }, 'Stop'),
      ),
    );
    const keys = await publishedKeys();
    const verifier = createStatementVerifier({ sha256, verifyEd25519, ...(keys ? { trustedKeys: keys } : {}) });
    let last = performance.now();
    const started = last;
    const verdict = await readStatement(file.stream(), verifier, {
      signal: stop.signal,
      onProgress: async ({ bytes, lines }) => {
        if (performance.now() - last < FRAME_MS) return;
        bar.value = bytes;
        bar.dataset.bytes = String(bytes);
        said.textContent = `${Math.floor((bytes / Math.max(file.size, 1)) * 100)} % · ${formatCount(lines)} lines checked`;
        await nextFrame();
        last = performance.now();
      },
    }).catch((err: unknown): StatementVerdict => ({ ok: false, line: 0, seq: null, error: `the file could not be read (${err instanceof Error ? err.message : String(err)})` }));
    if (stop !== running) return;
    running = null;
    // Picking the same file again must start a new check (a file input fires no change for the same file).
    input.value = '';
    if (stop.signal.aborted) {
      mount(result, h('p', { class: 'state empty', role: 'status', 'data-testid': 'statement-stopped' }, `Stopped: ${file.name} was not checked to the end. Pick it again to check it.`));
      return;
    }
    mount(result, verdictView(verdict, file, (performance.now() - started) / 1000));
    result.querySelector<HTMLElement>('h2')?.focus();
  };

  input.addEventListener('change', () => {
    const file = input.files?.[0];
    if (file) void check(file);
  });
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const file = e.dataTransfer?.files[0];
    if (file) void check(file);
  });

  mount(
    app,
    topbar(),
    h(
      'main',
      { id: 'main', class: 'statement-page' },
      h(
        'div',
        { class: 'page-head' },
        h(
          'div',
          {},
          h('h1', {}, 'Verify a statement'),
          h(
            'p',
            { class: 'sub' },
            'Check your invoice yourself. Your browser re-calculates every charge in the statement from the facts it was priced on, with the same code perfpixel billed with, and checks that nothing was removed, reordered or changed after the operator signed it. The file stays on your computer.',
          ),
        ),
      ),
      h('section', { class: 'card' }, input, drop, h('p', { class: 'hint' }, 'No statement yet? Sign in to the ', h('a', { href: '/dashboard/#ledger' }, 'dashboard'), ', open the Ledger page and press “Download statement”.')),
      result,
      explainer(),
    ),
  );
}

function verdictView(v: StatementVerdict, file: File, seconds: number): HTMLElement {
  if (!v.ok) {
    const { where, meaning, why } = failureWords(v);
    return h(
      'section',
      { class: 'card verdict bad', 'data-testid': 'statement-verdict', 'data-ok': 'false', 'data-seq': v.seq === null ? '' : String(v.seq), 'data-line': String(v.line) },
      h('h2', { tabindex: '-1' }, h('span', { class: 'mark', 'aria-hidden': 'true' }, '✗'), ' This statement does not check out'),
      h('p', { class: 'where' }, h('strong', {}, `${where}:`), ' ', meaning),
      h('p', { class: 'detail' }, h('span', { class: 'muted' }, 'Exactly: '), h('code', {}, why)),
      h(
        'p',
        {},
        'Either the file was changed after it was downloaded, or it is not a whole perfpixel statement, or the ledger it came from does not match its own records. Download it again and check the new file; if it fails the same way, send this message to the operator.',
      ),
      h('p', { class: 'muted' }, `${file.name} · checked in ${seconds.toFixed(1)} s`),
    );
  }
  const key = keyWords(v);
  const rows = totalRows(v.totals);
  return h(
    'section',
    { class: 'card verdict good', 'data-testid': 'statement-verdict', 'data-ok': 'true' },
    h('h2', { tabindex: '-1' }, h('span', { class: 'mark', 'aria-hidden': 'true' }, '✓'), ' This statement checks out'),
    h('p', { 'data-testid': 'statement-entries', 'data-entries': String(v.entries), 'data-rerun': String(v.rerun) }, entriesWords(v)),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'For'),
      h('dd', { 'data-testid': 'statement-party' }, partyWords(v.party)),
      h('dt', {}, 'Period'),
      h('dd', {}, periodWords(v.period)),
      h('dt', {}, 'Signature'),
      h('dd', { 'data-testid': 'statement-key', 'data-published': String(key.published), class: key.published ? '' : 'warn' }, key.published ? '✓ ' : '⚠ ', key.text),
      h('dt', {}, 'First entry hash'),
      h('dd', {}, h('code', { class: 'hash' }, v.firstHash ?? '(no entries of yours in the period)')),
      h('dt', {}, 'Last hash (signed)'),
      h('dd', {}, h('code', { class: 'hash' }, v.lastHash)),
    ),
    rows.length
      ? h(
          'div',
          { class: 'table-scroll' },
          h(
            'table',
            { class: 'data statement-totals' },
            h('caption', { class: 'visually-hidden' }, 'Totals per account and currency'),
            h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Account'), h('th', { scope: 'col' }, 'In this period'), h('th', { scope: 'col', class: 'num' }, 'Amount'))),
            h(
              'tbody',
              {},
              rows.map((r) =>
                h(
                  'tr',
                  { 'data-testid': 'statement-total', 'data-account': r.accountId, 'data-currency': r.currency, 'data-net-micros': r.netMicros },
                  h('th', { scope: 'row' }, r.account),
                  h('td', {}, r.meaning),
                  h('td', { class: 'num' }, r.amount),
                ),
              ),
            ),
          ),
        )
      : null,
    h('p', { class: 'muted' }, `${file.name} · ${sizeWords(file.size)} · checked in ${seconds.toFixed(1)} s`),
  );
}

function explainer(): HTMLElement {
  return h(
    'details',
    { class: 'card technical' },
    h('summary', {}, 'What exactly is checked?'),
    h(
      'ol',
      {},
      h('li', {}, 'Every entry is linked to the one before it by a fingerprint (SHA-256). Removing, reordering or editing any entry changes every fingerprint after it.'),
      h('li', {}, 'The last fingerprint is signed by the operator (Ed25519). The page checks the signature with the operator’s published key, so the operator cannot later deny or rewrite what it signed.'),
      h('li', {}, 'In an advertiser’s statement every charge, refund and correction is re-calculated from the facts it records — the clicks and views, the conversion, the campaign’s terms and budget — and must come out the same to the micro (a millionth of the currency).'),
      h('li', {}, 'In a publisher’s statement only the publisher’s own share of each entry is shown; it is checked against the chain and added up.'),
      h('li', {}, 'The totals must equal the sum of the entries.'),
    ),
    h('p', {}, 'The same check runs on the command line: ', h('code', {}, 'npx perfpixel verify statement.ndjson --keys perfpixel-keys.json')),
  );
}

render();
