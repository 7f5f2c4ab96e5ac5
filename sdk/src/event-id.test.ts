import { describe, expect, it } from 'vitest';
import { createEventId } from './event-id';

describe('createEventId', () => {
  it('returns a UUID v4 the collector accepts as an event_id', () => {
    expect(createEventId()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('never repeats itself over many calls', () => {
    expect(new Set(Array.from({ length: 2000 }, createEventId)).size).toBe(2000);
  });
});
