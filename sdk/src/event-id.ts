/**
 * A random UUID v4 for `event_id` and page-view IDs.
 *
 * size: a blob URL ends with a UUID v4 the browser draws from its CSPRNG (`blob:<origin>/<uuid>`),
 * and unlike `crypto.randomUUID` it also exists outside secure contexts (plain-http pages). The empty
 * blobs are never fetched; each costs a few bytes until the page unloads.
 */
export const createEventId = (): string => URL.createObjectURL(new Blob()).slice(-36);
