/**
 * Builds the explorer's page into `dist/client` (served by ExplorerServer): Preact, no CDN, relative
 * asset paths, one bundle.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root: here,
  base: "./",
  logLevel: "warn",
  build: {
    outDir: fileURLToPath(new URL("../dist/client", import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
  oxc: {
    jsx: { runtime: "automatic", importSource: "preact" },
  },
});
