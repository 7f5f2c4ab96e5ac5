/**
 * Focus after a view replaces the page (a sign-in, a route change): the element that had focus — the
 * sign-in button, a navigation link — is gone, and a keyboard or screen-reader user would be left on
 * `<body>` at the top of the tab order. Moving focus to the new view's heading announces where they
 * are and continues the tab order from there.
 */

/** Focuses the first `h1` inside `root` (made focusable by script only), or `root` itself. */
export function focusHeading(root: HTMLElement): void {
  const target = root.querySelector<HTMLElement>('h1') ?? root;
  if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
  target.focus({ preventScroll: true });
}
