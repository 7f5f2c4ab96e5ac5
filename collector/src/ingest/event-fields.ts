/** Reporting-only fields a beacon may carry: other platforms' click IDs and the landing's UTM parameters. */
import { OTHER_CLICK_ID_KEYS, UTM_KEYS } from './beacon-schema';

/** Other platforms' click IDs an event carried, verbatim (reporting only). */
export function otherIds(e: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of OTHER_CLICK_ID_KEYS) if (typeof e[k] === 'string') out[k] = e[k] as string;
  return out;
}

/** The UTM parameters an event carried (reporting only). */
export function utmOf(e: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of UTM_KEYS) if (typeof e[k] === 'string') out[k] = e[k] as string;
  return out;
}
