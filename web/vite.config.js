import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// `npm run dev` serves the client with hot reload and sends API calls to a suite started by `make run`.
export default defineConfig({
  plugins: [vue()],
  build: { outDir: 'dist', assetsDir: 'assets', chunkSizeWarningLimit: 1200 },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
})
