/**
 * Sign-in: paste an API key, or — on a development collector that serves `/demo/keys.json` — one
 * click on a seeded demo key. The key is checked with `GET /v1/me` before it is kept.
 *
 * Test hooks: `sign-in-key` (input), `sign-in-submit`, `sign-in-demo-<id>` (northwind, ledgerly,
 * daily, trail, operator).
 */
import { ApiError, createApi, fetchDemoKeys, type Api, type Me } from './api';
import { h, mount } from './dom';
import { saveKey } from './session';

/** What a successful sign-in hands on. */
export interface Session {
  api: Api;
  me: Me;
}

/** Checks a key; throws an ApiError with a readable message when it is refused. */
export async function checkKey(key: string): Promise<Session> {
  const api = createApi(key.trim());
  return { api, me: await api.me() };
}

/** Renders the sign-in card into `el`; calls `done` once a key was accepted. */
export function renderSignIn(el: HTMLElement, done: (s: Session) => void, o: { title?: string; intro?: string } = {}): void {
  const message = h('p', { class: 'form-message', role: 'alert', 'aria-live': 'polite' });
  const input = h('input', {
    id: 'api-key',
    name: 'api-key',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'ppa_… or ppp_…',
    required: true,
    'data-testid': 'sign-in-key',
  });
  const submit = h('button', { type: 'submit', class: 'button', 'data-testid': 'sign-in-submit' }, 'Sign in');

  const attempt = async (key: string, button: HTMLButtonElement) => {
    message.textContent = '';
    const label = button.textContent;
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    button.textContent = 'Checking…';
    try {
      const s = await checkKey(key);
      saveKey(key.trim());
      done(s);
    } catch (err) {
      message.textContent = err instanceof ApiError ? err.message : 'Something went wrong while checking the key.';
      button.disabled = false;
      button.removeAttribute('aria-busy');
      button.textContent = label;
    }
  };

  const form = h(
    'form',
    { class: 'sign-in-form', novalidate: true },
    h('label', { for: 'api-key' }, 'API key'),
    h('div', { class: 'input-row' }, input, submit),
    h('p', { class: 'hint' }, 'Advertiser keys start with ppa_, publisher keys with ppp_. The key stays in this browser tab only.'),
    message,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!input.value.trim()) {
      message.textContent = 'Paste an API key first.';
      input.focus();
      return;
    }
    void attempt(input.value, submit);
  });

  const demo = h('div', { class: 'demo-keys', hidden: true });
  mount(
    el,
    h(
      'section',
      { class: 'card sign-in', 'aria-labelledby': 'sign-in-title' },
      h('h1', { id: 'sign-in-title' }, o.title ?? 'Sign in to the dashboard'),
      h('p', { class: 'lede' }, o.intro ?? 'See what your ads earned, why each conversion was credited, and exactly what it cost.'),
      form,
      demo,
    ),
  );

  void fetchDemoKeys().then((keys) => {
    if (!keys) return;
    const button = (id: string, name: string, role: string, key: string) => {
      const b = h(
        'button',
        { type: 'button', class: 'demo-key', 'data-testid': `sign-in-demo-${id}` },
        h('span', { class: 'demo-name' }, name),
        h('span', { class: 'demo-role' }, role),
      );
      b.addEventListener('click', () => void attempt(key, b));
      return b;
    };
    mount(
      demo,
      h('h2', {}, 'Or use a demo account'),
      h('p', { class: 'hint' }, 'This collector runs in development mode, so the seeded keys are one click away.'),
      h(
        'div',
        { class: 'demo-grid' },
        keys.advertisers.map((a) => button(a.id, a.name, 'Advertiser', a.apiKey)),
        keys.publishers.map((p) => button(p.id, p.name, 'Publisher', p.apiKey)),
        button('operator', 'Platform operator', 'Sees everything', keys.operatorKey),
      ),
    );
    demo.hidden = false;
  });
}
