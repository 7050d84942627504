import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// Two pages, served by the app itself (src/web/web-pages.ts): the fan's at / and the console at /admin.
export default defineConfig({
  root: here('.'),
  base: '/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: here('../dist/public'),
    emptyOutDir: true,
    rolldownOptions: { input: { fan: here('index.html'), admin: here('admin/index.html') } },
  },
});
