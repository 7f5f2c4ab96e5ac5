/**
 * The ad-slot renderer, built to `sdk/dist/ads.js`. The tag loads it from its own folder, once, when a
 * page view finds an `<ins data-pp-slot>`, so pages without ads never download it; it then hands
 * `fillSlots` to the tag, which calls it on each page view.
 */
import { fillSlots } from './fill-slots';

(window as unknown as { pp: (...a: unknown[]) => void }).pp('ads', fillSlots);
