// A source's own settings: declared beside it with a zod object, read from environment variables whose names derive
// from the source's name (`url` of source `odds` is STRATA_SOURCE_ODDS_URL), so adding a source never edits core/.
import path from 'node:path';
import { z } from 'zod';
import { PROJECT_ROOT, processEnvironment, type Config } from '../core/config.ts';
import { ConfigError } from '../core/errors.ts';

/** The shape every source's settings object has: names to zod schemas. */
export type SettingsShape = Record<string, z.ZodType>;

/** `databaseUrl` of source `listings` → STRATA_SOURCE_LISTINGS_DATABASE_URL. */
export function settingEnvName(source: string, key: string): string {
  const snake = key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
  return `STRATA_SOURCE_${source.toUpperCase()}_${snake}`;
}

export interface SettingsDeclaration<S extends SettingsShape> {
  source: string;
  shape: S;
  /** Names before 0.2, still read for one release with a warning: `{ url: 'ODDS_SITE_URL' }`. */
  legacy?: Partial<Record<keyof S & string, string>>;
  /** What each setting is for, listed by `pnpm sources --settings` and in docs/configuration.md. */
  describe?: Partial<Record<keyof S & string, string>>;
}

export interface DeclaredSettings<S extends SettingsShape> extends SettingsDeclaration<S> {
  /** Parses the settings from an environment (default: .env, then the process's environment). */
  read(env?: Record<string, string | undefined>, warn?: (message: string) => void): z.output<z.ZodObject<S>>;
  /** One row per setting: its variable, its default and what it is for. */
  list(): { name: string; key: string; defaultValue?: string; description: string; legacy?: string }[];
}

const warned = new Set<string>();

/** Declares a source's settings; `read()` fails naming every bad variable and the fix. */
export function declareSettings<S extends SettingsShape>(declaration: SettingsDeclaration<S>): DeclaredSettings<S> {
  const schema = z.object(declaration.shape);
  const keys = Object.keys(declaration.shape);
  return {
    ...declaration,
    read(env = processEnvironment(), warn = (m) => console.warn(m)) {
      const raw: Record<string, string | undefined> = {};
      for (const key of keys) {
        const name = settingEnvName(declaration.source, key);
        const old = declaration.legacy?.[key];
        let value = env[name] === '' ? undefined : env[name];
        if (value === undefined && old && env[old]) {
          value = env[old];
          if (!warned.has(old)) {
            warned.add(old);
            warn(`warning: ${old} is deprecated and will be ignored in the next release; set ${name} instead`);
          }
        }
        raw[key] = value;
      }
      const parsed = schema.safeParse(raw);
      if (!parsed.success) {
        const lines = parsed.error.issues.map((issue) => {
          const name = settingEnvName(declaration.source, String(issue.path[0] ?? '?'));
          return `- ${name}=${JSON.stringify(env[name] ?? '')}: ${issue.message}. Fix it in the environment or in .env (see \`pnpm sources --settings\`).`;
        });
        throw new ConfigError(`Invalid settings for source "${declaration.source}":\n${lines.join('\n')}`);
      }
      return parsed.data;
    },
    list() {
      return keys.map((key) => {
        const parsed = declaration.shape[key]!.safeParse(undefined);
        return {
          name: settingEnvName(declaration.source, key),
          key,
          defaultValue: parsed.success && parsed.data !== undefined ? String(parsed.data) : undefined,
          description: declaration.describe?.[key] ?? '',
          legacy: declaration.legacy?.[key],
        };
      });
    },
  };
}

/** A base URL setting: trailing slashes removed. */
export const urlSetting = (fallback: string) =>
  z
    .url()
    .default(fallback)
    .transform((u) => u.replace(/\/+$/, ''));

/** The inbox a files source reads: its setting, or `<data dir>/inbox/<source>`. */
export function inboxPath(config: Config, source: string, setting: string | undefined): string {
  return path.resolve(PROJECT_ROOT, setting ?? path.join(config.dataDir, 'inbox', source));
}
