/**
 * Times for people. The API speaks epoch milliseconds; reports group by UTC day ("2026-11-15"), so
 * day labels are UTC too, while single events are shown in the viewer's own time zone.
 */

const DAY_MS = 86_400_000;

/** "2026-11-15" for an epoch-ms time (UTC). */
export function utcDay(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

/** Epoch ms of the UTC midnight that starts `day` ("2026-11-15"). */
export function dayStart(day: string): number {
  return Date.parse(`${day}T00:00:00Z`);
}

/** Every UTC day from `from` to `to` (inclusive), oldest first. */
export function daysBetween(from: number, to: number): string[] {
  const out: string[] = [];
  for (let t = dayStart(utcDay(from)); t <= to; t += DAY_MS) out.push(utcDay(t));
  return out;
}

/** The start of a report range of `days` whole UTC days ending today. */
export function rangeStart(now: number, days: number): number {
  return dayStart(utcDay(now)) - (days - 1) * DAY_MS;
}

/** "15 Nov" for a UTC day. */
export function dayLabel(day: string): string {
  return new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(dayStart(day));
}

/** "15 Nov 2026, 14:03" in the viewer's time zone. */
export function dateTime(at: number): string {
  return new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' }).format(at);
}

/** "14:03:07" in the viewer's time zone. */
export function clockTime(at: number): string {
  return new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(at);
}

/** "just now", "5 min ago", "3 h ago", "2 days ago". */
export function ago(at: number, now: number): string {
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 36) return `${h} h ago`;
  const d = Math.round(h / 24);
  return `${d} day${d === 1 ? '' : 's'} ago`;
}

/** How long before the conversion a touch happened: "22 h before", "41 days before", "after". */
export function before(touchAt: number, conversionAt: number): string {
  const ms = conversionAt - touchAt;
  if (ms < 0) return 'after';
  const s = Math.round(ms / 1000);
  if (s < 90) return `${s} s before`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m} min before`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} h before`;
  return `${Math.round(h / 24)} days before`;
}
