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

/**
 * effect/cli builds an `Intl.Segmenter` when its module loads (for `CliOutput.displayWidth`, used by
 * the help layout): loading ICU's break iterator is ~8 ms of every start, most of which never lays out
 * help. Built on first use instead. Warns (and leaves the code as it is) should effect change the line.
 */
const SEGMENTER = /new Intl\.Segmenter\(undefined, \{\s*granularity: "grapheme"\s*\}\)/
const lazyGraphemeSegmenter: Plugin = {
  name: "localex:lazy-grapheme-segmenter",
  transform: {
    filter: { id: /[\\/]effect[\\/]dist[\\/]cli[\\/]CliOutput\.js$/ },
    handler(code) {
      if (!SEGMENTER.test(code)) {
        this.warn("effect/cli CliOutput.js: no Intl.Segmenter construction found; start-up may be slower")
        return null
      }
      return code.replace(
        SEGMENTER,
        (construction) =>
          `((segmenter) => ({ segment: (text) => (segmenter ??= ${construction}).segment(text) }))(undefined)`
      )
    }
  }
}

export default defineConfig({
  input: { main: "dist/main.js" },
  platform: "node",
  // sharp loads a native addon from its own package (a dependency of this one); playwright-core is never
  // reached from the CLI but is too big to bundle should a package import it.
  external: [/^sharp(\/|$)/, /^playwright-core(\/|$)/],
  plugins: [inlinePackageJson, lazyGraphemeSegmenter],
  output: {
    dir: "dist/bundle",
    format: "esm",
    entryFileNames: "[name].js",
    chunkFileNames: "[name]-[hash].js",
    cleanDir: true,
    minify: true
  }
})
