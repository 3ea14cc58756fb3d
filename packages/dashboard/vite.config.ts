import { defineConfig } from 'vite';

// Relative asset URLs ('./assets/…') so the built files work wherever the collector mounts them;
// the app routes with the URL hash, so no path other than the index ever needs the fallback.
export default defineConfig({
  base: './',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 300 },
  server: {
    // `npm run dev -w packages/dashboard` proxies the API to a collector on :8080.
    proxy: Object.fromEntries(['/stats', '/query', '/health'].map((p) => [p, 'http://127.0.0.1:8080'])),
  },
});
