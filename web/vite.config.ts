// Builds the web app into web/dist, which the server serves at `/` (plugins/web.ts).
// `npm run dev -w web` serves it with hot reload and forwards the API and /ws to a server on :3000.
import vue from '@vitejs/plugin-vue'
import { defaultClientConditions, defineConfig } from 'vite'

const api = process.env.ROOMCHAT_URL ?? 'http://localhost:3000'

export default defineConfig({
  plugins: [vue()],
  // The client package's sources (its `roomchat-source` export), so no separate build of it is needed.
  resolve: { conditions: ['roomchat-source', ...defaultClientConditions] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Hashed names under assets/ are what lets the server mark them immutable.
    assetsDir: 'assets',
  },
  server: {
    proxy: {
      '/api': api,
      '/ws': { target: api.replace(/^http/, 'ws'), ws: true },
    },
  },
})
