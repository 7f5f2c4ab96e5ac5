/**
 * Beacon v1 as the collector reads it (ARCHITECTURE.md, "Wire format"). Keys are one letter because
 * every byte of the tag counts; they are written in one place only, `track` in tracker.ts.
 */

/** Event types: page view, served impression, viewable impression, click, conversion, web vital, unknown command. */
export type EventType = 'pv' | 'imp' | 'vi' | 'clk' | 'cv' | 'wv' | 'uc';

/** One flat event of a batch. */
export interface WireEvent {
  t: EventType;
  /** event_id (time, then random: event-id.ts), written to the outbox before the first send. */
  i: string;
  ts: number;
  p?: string;
  u?: string;
  r?: string;
  tk?: string;
  a?: string;
  k?: string;
  v?: string;
  c?: string;
  o?: string;
  mn?: string;
  mv?: number;
  cl?: '1';
  /** gclid, gbraid, wbraid, fbclid, msclkid, ttclid, verbatim. */
  [platformClickId: string]: string | number | undefined;
}

/** The body of `POST /e`: site, client clock when sent, 1–50 events. */
export interface WireBatch {
  s: string;
  n: number;
  e: WireEvent[];
}
