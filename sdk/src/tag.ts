/** Placeholder script-tag entry; replaced by the SDK issue. */
(window as unknown as { pp?: unknown }).pp = (window as unknown as { pp?: unknown }).pp || {};
