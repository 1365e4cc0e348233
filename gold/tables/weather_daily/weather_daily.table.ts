// Gold `weather_daily`: per city, country and UTC day, the temperature range and mean, total precipitation, and readings.
import type { TableSpec } from '../../../jobs/table-spec.ts';

export default {
  name: 'weather_daily',
  layer: 'gold',
  description: 'Daily weather per city (UTC days): min/max/mean temperature, precipitation and observation count.',
  from: ['silver.weather_observations'],
  primaryKey: ['city', 'country', 'date'],
  writeMode: 'replace',
  // Rebuilt per day: a run reads only the silver days that changed.
  partitionBy: 'date',
  indexes: [['date']],
  expectations: {
    min_not_above_max: { check: 'temperature_min_c <= temperature_max_c', action: 'fail' },
    at_most_24_readings_per_station: { check: 'observation_count between 1 and 24 * stations', action: 'fail' },
  },
  columns: {
    city: 'City',
    country: 'ISO 3166-1 alpha-2 country code',
    date: 'UTC calendar day',
    temperature_min_c: 'Lowest hourly temperature of the day in °C',
    temperature_max_c: 'Highest hourly temperature of the day in °C',
    temperature_mean_c: 'Mean of the hourly temperatures in °C, rounded to 2 decimals',
    precipitation_mm: 'Total precipitation of the day in mm, rounded to 2 decimals',
    observation_count: 'Number of valid hourly readings behind the row',
    stations: 'Stations reporting for the city that day',
  },
} satisfies TableSpec;
