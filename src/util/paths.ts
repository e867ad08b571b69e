import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The codenet checkout: templates/, hw/, sim/ and the .cache/ of builds are found from here. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
