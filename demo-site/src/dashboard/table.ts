/**
 * Data tables: a caption for screen readers, numeric columns right-aligned with tabular figures,
 * and a wrapper that scrolls sideways on its own on a narrow screen (the page itself never does).
 */
import { h, type Child } from './dom';

/** A column: its header, whether it holds numbers, and an optional explanation (shown as a tooltip). */
export interface Column {
  label: string;
  num?: boolean;
  title?: string;
}

/** A header row from columns. */
export function thead(cols: readonly Column[]): HTMLTableSectionElement {
  return h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null, title: c.title ?? null }, c.label))));
}

/** A cell; numeric cells are right-aligned. */
export function td(content: Child, num = false, attrs: Record<string, string> = {}): HTMLTableCellElement {
  return h('td', { class: num ? 'num' : null, ...attrs }, content);
}

/**
 * A table in a sideways-scrolling wrapper. With `className` containing `stack`, every body cell gets its
 * column's name in `data-label`, so the stylesheet can turn rows into labelled cards on a phone.
 */
export function dataTable(o: { caption: string; columns: readonly Column[]; body: HTMLTableRowElement[]; foot?: HTMLTableRowElement[]; testid?: string; className?: string }): HTMLElement {
  if (o.className?.split(' ').includes('stack')) {
    for (const tr of o.body) {
      // A row under a rowspan header has fewer cells: they are the last columns.
      const offset = o.columns.length - tr.cells.length;
      [...tr.cells].forEach((cell, i) => cell.dataset.label ??= o.columns[i + offset]?.label ?? '');
    }
  }
  return h(
    'div',
    { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': o.caption },
    h(
      'table',
      { class: `data ${o.className ?? ''}`.trim(), 'data-testid': o.testid ?? null },
      h('caption', { class: 'visually-hidden' }, o.caption),
      thead(o.columns),
      h('tbody', {}, o.body),
      o.foot ? h('tfoot', {}, o.foot) : null,
    ),
  );
}

/** A status pill. */
export function pill(text: string, tone: string, attrs: Record<string, string> = {}): HTMLElement {
  return h('span', { class: `pill ${tone}`, ...attrs }, text);
}
