// Given weather readings as the API serves them, the rows silver.weather_observations keeps.
import { tableTest } from '../../../pipeline/table-test.ts';

const reading = (station: string, hour: string, temperature: number, updated = hour) => ({
  station_id: station,
  city: 'Paris',
  country: 'FR',
  observed_at: `2026-11-01T${hour}:00:00Z`,
  temperature_c: temperature,
  humidity_pct: 80,
  wind_kph: 10,
  precipitation_mm: 0,
  updated_at: `2026-11-01T${updated}:10:00Z`,
});

tableTest({
  table: 'silver.weather_observations',
  cases: [
    {
      name: 'one row per station and hour, typed, an impossible reading quarantined',
      given: { weather: [reading('ST-1', '08', 7.5), reading('ST-1', '09', 8.25), reading('ST-2', '08', 120)] },
      expect: {
        rows: [
          { station_id: 'ST-1', observed_date: '2026-11-01', temperature_c: 7.5, humidity_pct: 80 },
          { station_id: 'ST-1', observed_date: '2026-11-01', temperature_c: 8.25, humidity_pct: 80 },
        ],
        quarantine: 1,
      },
    },
    {
      name: 'a later correction replaces the reading in the next run; an older revision does not',
      batches: [
        {
          given: { weather: [reading('ST-1', '08', 7.5)] },
          expect: { rows: [{ station_id: 'ST-1', temperature_c: 7.5 }] },
        },
        {
          given: { weather: [reading('ST-1', '08', 9, '10'), reading('ST-1', '08', 3, '07')] },
          expect: { rows: [{ station_id: 'ST-1', temperature_c: 9 }], quarantine: 0 },
        },
      ],
    },
  ],
});
