/** /readyz on the server's database: ready with the migrations current, 503 naming the database when it is behind or gone. */
import { storeReadiness } from '../../../../src/bot/http/store-readiness';
import { silentLogger } from '../../../../src/shared/logger';
import { memorySql } from '../../../engines';

describe('storeReadiness', () => {
  it('ready, saying the engine and that the migrations are current', async () => {
    const db = memorySql();
    await expect(storeReadiness(db, silentLogger())()).resolves.toEqual({ ready: true, details: { database: { engine: 'sqlite', migrations: 'current' } } });
    await db.close();
  });

  it('not ready when a migration is pending: names it and says to run picbot db migrate', async () => {
    const db = memorySql();
    await db.run("DELETE FROM schema_migrations WHERE id = '0013-intake-cards'");
    const r = await storeReadiness(db, silentLogger())();
    expect(r).toMatchObject({ ready: false, code: 'store_failed', message: expect.stringMatching(/^the database :memory: is behind \(1 migration pending, first 0013-intake-cards\): run picbot db migrate$/) });
    await db.close();
  });

  it('not ready when the database does not answer, then ready again once it does', async () => {
    const db = memorySql();
    const gone = new Error('connect ECONNREFUSED 127.0.0.1:5432');
    const ping = db.ping.bind(db);
    const away = { on: true };
    const flaky = Object.assign(Object.create(db) as typeof db, { ping: () => (away.on ? Promise.reject(gone) : ping()) });
    const ready = storeReadiness(flaky, silentLogger());
    await expect(ready()).resolves.toMatchObject({ ready: false, message: 'the database :memory: cannot be reached', details: { database: { engine: 'sqlite' } } });
    away.on = false;
    await expect(ready()).resolves.toMatchObject({ ready: true });
    await db.close();
  });
});
