/**
 * Calls `cb` once when an ad has been viewable for one continuous second, by the MRC Viewable Ad
 * Impression Measurement Guidelines: at least 50 % of its pixels in view (30 % for ads of 242,500 px²
 * or more) in a visible tab. The timer restarts from zero whenever the ad or the tab leaves view.
 */
export function onViewable(el: Element, area: number, cb: () => void, w: Window & typeof globalThis): void {
  const d = w.document;
  const share = area < 242500 ? 0.5 : 0.3;
  let inView = false;
  let timer: ReturnType<typeof setTimeout> | 0 = 0;
  const check = () => {
    if (inView && !d.hidden)
      timer ||= setTimeout(() => {
        // Once: no more observer callbacks, so `inView` stays false and the timer is never armed again.
        io.disconnect();
        inView = false;
        cb();
      }, 1000);
    else clearTimeout(timer), (timer = 0);
  };
  // One threshold: the observer calls back exactly when the ad crosses the MRC share, either way.
  const io = new w.IntersectionObserver(
    (entries) => {
      inView = entries.pop()!.intersectionRatio >= share;
      check();
    },
    { threshold: share },
  );
  io.observe(el);
  d.addEventListener('visibilitychange', check);
}
