/** Placeholder npm entry; replaced by the SDK issue. */
export const version = '0.1.0';
