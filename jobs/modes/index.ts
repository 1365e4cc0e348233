// The write modes by name: what a table's `writeMode` selects (a view is never written).
import { appendMode } from './append.ts';
import { mergeMode } from './merge.ts';
import type { WriteMode } from './mode.ts';
import { replaceMode } from './replace.ts';
import { scd2Mode } from './scd2.ts';
import { windowMode } from './window.ts';

export const MODES = {
  append: appendMode,
  replace: replaceMode,
  merge: mergeMode,
  scd2: scd2Mode,
  window: windowMode,
} as const satisfies Record<string, WriteMode>;

export type WrittenMode = keyof typeof MODES;
