/** The settings of a conversion action nobody configured. */
import type { ConversionAction } from '../core/terms';

/** The default settings of an action nobody configured: count every one, last click. */
export function defaultAction(key: string): ConversionAction {
  return { key, counting: 'every', model: 'last_click', clickWindowDays: null, viewWindowDays: null };
}
