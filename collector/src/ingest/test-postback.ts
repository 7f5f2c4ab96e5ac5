/**
 * A test postback (the dashboard's postback console, issue 14): one S2S conversion run through the
 * very pipeline a signed postback takes (processItem: dedup, attribution, pricing, ledger), inside a
 * transaction that is then rolled back. Nothing it did is kept — no conversion, no entry group, no
 * spend, no event key —, so it never reaches the ledger, the budgets or the reports, while its answer
 * is exactly what the real postback would get now.
 */
import { rolledBack } from '../store/rolled-back';
import type { ConversionRecord, PostedGroup, Store } from '../store/store';
import type { IngestItem, ItemResult } from './items';
import { processItem, type PipelineDeps } from './pipeline';

/** What the pipeline decided for a test postback, read inside the transaction before it rolled back. */
export interface TestPostback {
  result: ItemResult;
  conversion: ConversionRecord | null;
  /** The entry groups the conversion would have (none are kept). */
  groups: PostedGroup[];
}

/** Runs one S2S item and rolls it back; answers what would have happened. */
export function runTestPostback(store: Store, item: Extract<IngestItem, { kind: 's2s' }>, pipeline: PipelineDeps): Promise<TestPostback> {
  return rolledBack(store, async (tx) => {
    const result = await processItem(tx, item, pipeline);
    const conversion = result.conversionId ? await tx.conversion(result.conversionId) : null;
    const groups = conversion ? await tx.groupsFor('conversion', conversion.id) : [];
    return { result, conversion, groups };
  });
}
