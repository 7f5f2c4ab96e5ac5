/**
 * `npm start`: the collector with the demo site mounted, on SQLite under ./data by default.
 * On an empty store the demo is seeded first; the seeded keys are kept in ./data/demo-keys.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../../collector/src/server';
import { mountDemoSite } from './mount';
import { seedDemo, type DemoKeys } from './seed';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

startServer({
  async extend({ app, store, collector, config, clock }) {
    const keysFile = join(config.dataDir, 'demo-keys.json');
    let keys: DemoKeys | null = existsSync(keysFile) ? (JSON.parse(readFileSync(keysFile, 'utf8')) as DemoKeys) : null;
    mountDemoSite(app, { config, keys: () => keys, clock, root });
    if (config.seed === 'auto' && (await store.catalog.isEmpty())) {
      const started = Date.now();
      console.log('Empty store: seeding the demo (two advertisers, two publishers, 14 days of traffic)…');
      keys = await seedDemo({
        app,
        collector,
        store,
        clock,
        operatorKey: config.operatorKey,
        publisherOrigin: new URL(config.publicUrl).origin,
        shopOrigin: new URL(config.publicUrl.replace('//localhost', '//127.0.0.1')).origin,
        dataDir: config.dataDir,
      });
      console.log(`Seeded in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    }
  },
  banner: (config) => {
    const u = config.publicUrl;
    return [
      `  start here        ${u}/`,
      `  publisher page    ${u}/news/`,
      `  advertiser shop   ${u.replace('//localhost', '//127.0.0.1')}/shop/`,
      `  dashboard         ${u}/dashboard/`,
      `  verify my tag     ${u}/verify/`,
      `  API docs          ${u}/docs`,
      `  health            ${u}/healthz`,
    ];
  },
}).catch((err) => {
  console.error(err);
  process.exit(1);
});
