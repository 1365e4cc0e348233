// The registry of sources: adding one means adding its folder and a line here.
import type { SourceDefinition } from '../source.ts';
import { cryptoSource } from './crypto/source.ts';
import { listingsSource } from './listings/source.ts';
import { oddsSource } from './odds/source.ts';
import { weaponsSource } from './weapons/source.ts';
import { weatherSource } from './weather/source.ts';

export const SOURCES: Record<string, SourceDefinition> = {
  weather: weatherSource,
  odds: oddsSource,
  crypto: cryptoSource,
  weapons: weaponsSource,
  listings: listingsSource,
};
