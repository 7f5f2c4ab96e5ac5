/** Placeholder web-vitals add-on; replaced by the SDK issue. */
import { onLCP } from 'web-vitals';
onLCP(() => {});
