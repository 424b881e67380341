import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The portal (docs/API.md §10): Preact through Vite's own JSX transform (no Babel preset), built to
// portal/dist, which src/platform/http/portal.ts serves at `/`. scripts/portal-build.mjs runs it.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  resolve: { alias: { react: 'preact/compat', 'react-dom': 'preact/compat' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Served by our own process with a strict CSP (script-src 'self'): no inline scripts; the
    // module-preload polyfill is not needed by the browsers we target.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8000' } },
});
