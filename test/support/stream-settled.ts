// When `pnpm stream` has nothing left to do for the crypto tables: the bronze group has no entry pending or
// undelivered, each streaming table consumed every live input file, and PostgreSQL serves the lake's current candles.
import type { Runtime } from '../../lake/runtime.ts';
import { sleep } from '../../core/retry.ts';
import { bronzeGroupState } from '../../streams/backlog.ts';
import { streamKey } from '../../streams/keys.ts';
import { servesCurrentRows } from '../../gold/gold-job.ts';

export async function waitForStreamSettled(rt: Runtime, timeoutMillis: number): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  for (;;) {
    const group = await bronzeGroupState(rt.redis(), streamKey(rt.config.redisPrefix, 'crypto'));
    const unconsumed = await rt.pool.query<{ n: number }>(
      `select count(*)::int as n from strata_catalog.files f join strata_catalog.tables t using (table_id), (values ('silver', 'crypto_ticks', 'bronze', 'crypto'),
              ('gold', 'crypto_ohlc_minute', 'silver', 'crypto_ticks'), ('gold', 'crypto_ohlc_hour', 'silver', 'crypto_ticks')) as e(layer, name, input_layer, input_name)
        where t.layer = e.input_layer and t.name = e.input_name and f.removed_snapshot_id is null and f.row_count > 0
          and not exists (select 1 from strata_catalog.consumed c join strata_catalog.tables ct using (table_id) where ct.layer = e.layer and ct.name = e.name and c.file_id = f.file_id)`,
    );
    let servedAll = true;
    for (const table of ['crypto_ohlc_minute', 'crypto_ohlc_hour']) {
      // Served rows are current even when compactions committed snapshots after the one PostgreSQL loaded.
      if (!(await servesCurrentRows(rt, { layer: 'gold', name: table }))) servedAll = false;
    }
    if (group.pending === 0 && group.undelivered === 0 && unconsumed.rows[0]!.n === 0 && servedAll) return;
    if (Date.now() > deadline)
      throw new Error(
        `the stream did not settle: ${JSON.stringify({ ...group, unconsumed: unconsumed.rows[0]!.n, servedAll })}`,
      );
    await sleep(500);
  }
}
