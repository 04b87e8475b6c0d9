import { openTestDatabase } from '../engines';
it('pg opens', async () => {
  const db = await openTestDatabase({ engine: 'postgres' });
  const row = await db.sql.get<{ s: string }>('SELECT current_schema() AS s');
  expect(row?.s).toMatch(/^picbot_t_/);
  expect(await db.sql.all('SELECT id FROM schema_migrations')).toHaveLength(1);
  await db.dispose();
});
