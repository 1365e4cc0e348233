// Given hourly readings, the daily rows gold.weather_daily holds per city: a correction in a later run changes the
// day's figures, and a day untouched by the run keeps its own.
import { tableTest } from '../../../pipeline/table-test.ts';

const reading = (station: string, city: string, at: string, temperature: number, rain: number, updated = at) => ({
  station_id: station,
  city,
  country: city === 'Paris' ? 'FR' : 'DE',
  observed_at: `2026-11-${at}:00:00Z`,
  temperature_c: temperature,
  humidity_pct: 70,
  wind_kph: 12,
  precipitation_mm: rain,
  updated_at: `2026-11-${updated}:30:00Z`,
});

tableTest({
  table: 'gold.weather_daily',
  cases: [
    {
      name: 'aggregates each city and day, and a later correction updates only its day',
      batches: [
        {
          given: {
            weather: [
              reading('P1', 'Paris', '01T06', 4.1, 0.2),
              reading('P1', 'Paris', '01T07', 5.3, 0.1),
              reading('P2', 'Paris', '01T07', 6.2, 0),
              reading('P1', 'Paris', '02T06', 3, 1.5),
              reading('B1', 'Berlin', '01T06', -1.5, 0),
              reading('B1', 'Berlin', '01T07', 120, 0), // impossible: quarantined in silver, not counted
            ],
          },
          expect: {
            rows: [
              {
                city: 'Berlin',
                date: '2026-11-01',
                temperature_min_c: -1.5,
                temperature_max_c: -1.5,
                observation_count: 1,
              },
              {
                city: 'Paris',
                date: '2026-11-01',
                temperature_min_c: 4.1,
                temperature_max_c: 6.2,
                temperature_mean_c: 5.2,
                precipitation_mm: 0.3,
                observation_count: 3,
                stations: 2,
              },
              { city: 'Paris', date: '2026-11-02', temperature_mean_c: 3, precipitation_mm: 1.5, observation_count: 1 },
            ],
          },
        },
        {
          given: { weather: [reading('P2', 'Paris', '01T07', 9.5, 0.4, '01T09')] },
          expect: {
            rows: [
              {
                city: 'Berlin',
                date: '2026-11-01',
                temperature_min_c: -1.5,
                temperature_max_c: -1.5,
                observation_count: 1,
              },
              {
                city: 'Paris',
                date: '2026-11-01',
                temperature_min_c: 4.1,
                temperature_max_c: 9.5,
                temperature_mean_c: 6.3,
                precipitation_mm: 0.7,
                observation_count: 3,
                stations: 2,
              },
              { city: 'Paris', date: '2026-11-02', temperature_mean_c: 3, precipitation_mm: 1.5, observation_count: 1 },
            ],
          },
        },
      ],
    },
  ],
});
