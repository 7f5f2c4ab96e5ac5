/**
 * A ten-line element builder. Text always goes in as text nodes (never innerHTML), so a campaign
 * name or an order ID from the API can never become markup.
 *
 *     h('td', { class: 'num', 'data-testid': 'cost' }, formatMoney(cost, 'EUR'))
 */

/** Attribute values: strings are set, `true` sets an empty attribute, false/null/undefined are skipped; `on…` functions become listeners. */
export type Attrs = Record<string, string | number | boolean | null | undefined | ((ev: Event) => void)>;

/** What can be a child: nodes and text; null/false are skipped, arrays flattened. */
export type Child = Node | string | number | null | undefined | false | Child[];

/** Creates an element with attributes and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (v === true) el.setAttribute(k, '');
    else if (v !== false && v !== null && v !== undefined) el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

/** Appends children (flattening arrays, skipping empty ones). */
export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces an element's content. */
export function mount(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A tidy "Loading …" line with a spinner, announced to screen readers. */
export function loading(what: string): HTMLElement {
  return h('p', { class: 'state loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), `Loading ${what}…`);
}

/** An empty state: a sentence and, optionally, a next step. */
export function empty(text: string, next?: Child): HTMLElement {
  return h('div', { class: 'state empty', 'data-testid': 'empty-state' }, h('p', {}, text), next ?? null);
}

/** An error box with a readable message. */
export function errorBox(message: string, retry?: () => void): HTMLElement {
  return h(
    'div',
    { class: 'state error', role: 'alert', 'data-testid': 'error' },
    h('p', {}, message),
    retry ? h('button', { type: 'button', class: 'button secondary', onclick: retry }, 'Try again') : null,
  );
}
