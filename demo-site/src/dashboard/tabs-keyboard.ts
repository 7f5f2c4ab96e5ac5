/**
 * The WAI-ARIA tabs pattern for a `role="tablist"` of `role="tab"` buttons
 * (https://www.w3.org/WAI/ARIA/apg/patterns/tabs/): one tab in the tab order (the selected one,
 * `tabindex="0"`, the others `-1`); Left/Right arrows move to the previous/next tab (wrapping),
 * Home/End to the first/last, and a tab is selected as it gets focus (automatic activation: showing
 * a chart is instant).
 *
 *     tabsKeyboard(tablist, (i) => show(i));   // show(i) marks tab i aria-selected
 */

/** Makes the tabs of `tablist` keyboard-operable; `select(i)` shows tab i and marks it selected. */
export function tabsKeyboard(tablist: HTMLElement, select: (index: number) => void): void {
  const tabs = () => [...tablist.querySelectorAll<HTMLElement>('[role="tab"]')];
  const roving = () => {
    for (const t of tabs()) t.tabIndex = t.getAttribute('aria-selected') === 'true' ? 0 : -1;
  };
  tablist.addEventListener('keydown', (ev) => {
    const list = tabs();
    const at = list.indexOf(ev.target as HTMLElement);
    if (at < 0) return;
    const to = { ArrowRight: (at + 1) % list.length, ArrowLeft: (at - 1 + list.length) % list.length, Home: 0, End: list.length - 1 }[ev.key];
    if (to === undefined) return;
    ev.preventDefault();
    select(to);
    roving();
    list[to]!.focus();
  });
  tablist.addEventListener('click', () => roving());
  roving();
}
