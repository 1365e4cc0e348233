// The project root, in a module of its own so that commands can find their files before loading any configuration.
import path from 'node:path';

/**
 * The project root: every relative path in the configuration is resolved against it. Commands run from the compiled
 * copy in dist/ (core/build/compile.mjs), one folder further down.
 */
export const PROJECT_ROOT = path.resolve(import.meta.dirname, import.meta.url.endsWith('.js') ? '../..' : '..');
