import { openStore } from '../store/open-store';
import { runTestEventsSuite } from './test-events-routes.case.test';

runTestEventsSuite('SQLite', async (clock) => {
  const store = await openStore(':memory:', { clock });
  return { store, cleanup: () => store.close() };
});
