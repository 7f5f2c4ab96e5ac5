// @vitest-environment happy-dom
/** The chart's tabs follow the WAI-ARIA tabs pattern: arrow keys, Home and End, one tab stop. */
import { describe, expect, it, vi } from 'vitest';
import { chartPanel } from './panels';

vi.mock('./chart', () => ({ renderDailyChart: () => undefined }));

const panel = () => {
  const card = chartPanel('Per day', ['2026-12-01'], ['Cost', 'Clicks', 'Conversions'].map((name) => ({ name, series: [{ label: name, color: '#000', counts: [1] }] })), 'EUR');
  document.body.replaceChildren(card);
  return [...card.querySelectorAll<HTMLElement>('[role="tab"]')];
};
const key = (el: HTMLElement, k: string) => el.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true }));
const selected = (tabs: HTMLElement[]) => tabs.findIndex((t) => t.getAttribute('aria-selected') === 'true');

describe('chart tabs', () => {
  it('keeps one tab in the tab order: the selected one', () => {
    const tabs = panel();
    expect(tabs.map((t) => t.tabIndex)).toEqual([0, -1, -1]);
    expect(tabs.every((t) => document.getElementById(t.getAttribute('aria-controls')!)?.getAttribute('role') === 'tabpanel')).toBe(true);
  });

  it('moves and selects with the arrow keys, wrapping, and jumps with Home and End', () => {
    const tabs = panel();
    tabs[0]!.focus();
    key(tabs[0]!, 'ArrowRight');
    expect(selected(tabs)).toBe(1);
    expect(document.activeElement).toBe(tabs[1]);
    expect(tabs.map((t) => t.tabIndex)).toEqual([-1, 0, -1]);
    key(tabs[1]!, 'ArrowLeft');
    key(tabs[0]!, 'ArrowLeft');
    expect(selected(tabs)).toBe(2);
    key(tabs[2]!, 'Home');
    expect(selected(tabs)).toBe(0);
    key(tabs[0]!, 'End');
    expect(selected(tabs)).toBe(2);
    expect(document.activeElement).toBe(tabs[2]);
  });

  it('keeps the tab order right after a click', () => {
    const tabs = panel();
    tabs[1]!.click();
    expect(selected(tabs)).toBe(1);
    expect(tabs.map((t) => t.tabIndex)).toEqual([-1, 0, -1]);
  });
});
