// Silver `weather_observations`: one typed, validated reading per station and hour; the latest valid correction wins.
import type { TableSpec } from '../../../jobs/table-spec.ts';

export default {
  name: 'weather_observations',
  layer: 'silver',
  description:
    'Hourly weather observations, typed and deduplicated: one row per station and hour (the latest valid correction wins).',
  from: ['bronze.weather'],
  primaryKey: ['station_id', 'observed_at'],
  writeMode: 'merge',
  // The provider's revision time decides; event_id only breaks exact ties, so every run picks the same row.
  latestBy: 'updated_at desc nulls last, event_id desc',
  partitionBy: 'observed_date',
  expectations: {
    temperature_present: { check: 'temperature_c is not null', action: 'quarantine' },
    temperature_plausible: { check: 'temperature_c between -90 and 60', action: 'quarantine' },
    humidity_in_range: { check: 'humidity_pct between 0 and 100', action: 'quarantine' },
    precipitation_non_negative: { check: 'precipitation_mm >= 0', action: 'quarantine' },
  },
  columns: {
    station_id: 'Weather station identifier',
    city: 'City the station reports for',
    country: 'ISO 3166-1 alpha-2 country code',
    observed_at: 'Start of the observed hour (UTC)',
    observed_date: 'UTC date of observed_at (the partition)',
    temperature_c: 'Air temperature in °C',
    humidity_pct: 'Relative humidity in %',
    wind_kph: 'Wind speed in km/h',
    precipitation_mm: 'Precipitation over the hour in mm',
    updated_at: 'When the provider last revised the reading (UTC)',
    event_id: 'Envelope id of the bronze event this row came from',
  },
} satisfies TableSpec;
