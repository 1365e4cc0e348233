// Source `weapons`: a game wiki with one page per weapon type, each a table of weapons. The index page only leads to
// the type pages; each weapon row becomes a record with its type, as the weapons project kept one table per type.
import type { CheerioRoot } from '@crawlee/cheerio';
import { webCollector } from '../../collectors/web/web-collector.ts';
import type { ParseResult, SourceDefinition } from '../../source.ts';
import { weaponsSettings } from './settings.ts';

const COLUMNS = ['name', 'rarity', 'attack', 'affinity', 'element', 'slots'] as const;

export function extractWeapons($: CheerioRoot, url: string): Record<string, unknown>[] | undefined {
  const type = $('h1.weapon-type').text().trim();
  if (!type) return undefined; // the index: links only
  const editedAt = $('time').attr('datetime');
  const editedBy = $('a.editor').text().trim() || null;
  return $('table.weapon-table tbody tr')
    .toArray()
    .map((tr) => {
      const cells = $(tr)
        .find('td')
        .toArray()
        .map((td) => $(td).text().trim());
      return {
        weapon_type: type,
        ...Object.fromEntries(COLUMNS.map((c, i) => [c, cells[i] ?? null])),
        edited_at: editedAt,
        edited_by: editedBy,
        page: new URL(url).pathname,
      };
    });
}

export function parseWeapon(raw: string): ParseResult {
  const w = JSON.parse(raw) as Record<string, unknown>;
  if (typeof w.name !== 'string' || !w.name) return { ok: false, reason: 'missing field name' };
  if (typeof w.weapon_type !== 'string' || !w.weapon_type) return { ok: false, reason: 'missing field weapon_type' };
  const at = new Date(String(w.edited_at));
  if (Number.isNaN(at.getTime()))
    return { ok: false, reason: `edited_at ${JSON.stringify(w.edited_at)} is not a time` };
  return { ok: true, naturalKey: `${w.weapon_type}|${w.name}`, observedAt: at.toISOString() };
}

export const weaponsSource = {
  name: 'weapons',
  description: 'Weapons of a game wiki, one page per weapon type (name, rarity, attack, affinity, element, slots)',
  schemaVersion: 1,
  schedule: '0 6 * * *',
  settings: weaponsSettings,
  collect(context) {
    const base = context.baseUrl ?? weaponsSettings.read(context.env).url;
    return webCollector({
      render: 'static',
      startUrls: [`${base}/wiki/Weapons`],
      followSelector: 'a.weapon-type',
      extract: extractWeapons,
      maxRequestsPerMinute: 60,
      onPageProblem: (url, problem) => console.warn(`weapons: ${url}: ${problem}`),
    })();
  },
  parse: parseWeapon,
  // An editor's handle names a person: kept as a keyed hash, so edits can still be counted per editor.
  sensitive: { edited_by: 'hash' },
} satisfies SourceDefinition;
