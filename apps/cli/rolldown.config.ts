/**
 * Bundles the `localex-storage` process (dist/main.js, as tsc built it) into dist/bundle/: the
 * runner and the command tree in main.js, a chunk per subcommand group and per package loaded on
 * demand (storage drivers, AWS SDK clients, image processing). Node then reads a few files instead
 * of resolving ~600 modules, which was most of the start-up (README.md, "Start-up"). dist/bin.js
 * imports the bundle; the library (dist/index.js) stays as tsc built it.
 */
import { readFileSync } from "node:fs"
import { dirname, resolve } from "node:path"
import { defineConfig, type Plugin } from "rolldown"

/**
 * The CLI and some packages read their version with `createRequire(import.meta.url)("../package.json")`,
 * which would find the wrong file (or none) from dist/bundle/: the bundle gets the name and version instead.
 */
const inlinePackageJson: Plugin = {
  name: "localex:inline-package-json",
  transform: {
    filter: { code: '("../package.json")' },
    handler: (code, id) => ({
      code: code.replace(/createRequire\(import\.meta\.url\)\("\.\.\/package\.json"\)/g, () => {
        const { name, version } = JSON.parse(readFileSync(resolve(dirname(id), "../package.json"), "utf8"))
        return `(${JSON.stringify({ name, version })})`
      })
    })
  }
}

export default defineConfig({
  input: { main: "dist/main.js" },
  platform: "node",
  // sharp loads a native addon from its own package (a dependency of this one); playwright-core is never
  // reached from the CLI but is too big to bundle should a package import it.
  external: [/^sharp(\/|$)/, /^playwright-core(\/|$)/],
  plugins: [inlinePackageJson],
  output: {
    dir: "dist/bundle",
    format: "esm",
    entryFileNames: "[name].js",
    chunkFileNames: "[name]-[hash].js",
    cleanDir: true
  }
})
