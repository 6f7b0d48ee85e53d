import { defineConfig } from 'vite';

// The pages: Preact (JSX through esbuild, no plugin needed), bundled with their charts and TensorFlow.js
// into dist/web, so the dashboard works offline. Hashed file names let express cache them for good.
export default defineConfig({
  root: 'src/web',
  base: '/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: '../../dist/web',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2000,
  },
});
