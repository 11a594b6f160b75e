/**
 * Bundles the `localex-storage` process (dist/main.js, as tsc built it) into dist/bundle/: the
 * runner and the command tree in main.cjs, a chunk per subcommand group and per package loaded on
 * demand (storage drivers, AWS SDK clients, image processing). Node then reads a few files instead
 * of resolving ~600 modules, which was most of the start-up (README.md, "Start-up"). CommonJS, so
 * that dist/bin.js can run it with a code cache made after the command ran (src/codeCache.ts);
 * the library (dist/index.js) stays as tsc built it.
 */
import { readFileSync } from "node:fs"
import { createRequire, isBuiltin } from "node:module"
import { dirname, resolve } from "node:path"
import { promisify } from "node:util"
import { defineConfig, type Plugin, type RolldownOptions } from "rolldown"

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
 * effect/cli measures every help line with an `Intl.Segmenter` (`CliOutput.displayWidth`), which it
 * builds when its module loads: loading ICU's break iterator is ~8 ms of every start, most of which
 * never lays out help, and segmenting the lines ~15 ms of `--help`. The segmenter is built on first
 * use instead, and a line of printable ASCII only (one cell per character, as the segmenter would
 * count it) is measured by its length. Warns (and leaves the code as it is) should effect change
 * either line.
 */
const SEGMENTER = /new Intl\.Segmenter\(undefined, \{\s*granularity: "grapheme"\s*\}\)/
const DISPLAY_WIDTH = /export const displayWidth = text => \{/
const helpLayout: Plugin = {
  name: "localex:help-layout",
  transform: {
    filter: { id: /[\\/]effect[\\/]dist[\\/]cli[\\/]CliOutput\.js$/ },
    handler(code) {
      if (!SEGMENTER.test(code) || !DISPLAY_WIDTH.test(code)) {
        this.warn("effect/cli CliOutput.js: the segmenter or displayWidth changed; start-up and --help may be slower")
        return null
      }
      return code
        .replace(
          SEGMENTER,
          (construction) =>
            `((segmenter) => ({ segment: (text) => (segmenter ??= ${construction}).segment(text) }))(undefined)`
        )
        .replace(DISPLAY_WIDTH, (start) => `${start}\n  if (/^[\\x20-\\x7e]*$/.test(text)) return text.length;`)
    }
  }
}

/**
 * Built-in modules, read without ES module facades and the heavy ones on first use. An `import`
 * of a built-in builds a facade that reads every export of it (node:util's lazy ones load
 * node:worker_threads, for one); `process.getBuiltinModule` does not. And node:crypto (which
 * starts OpenSSL), node:child_process and node:readline take ~10 ms of every start to load, while
 * most commands never call them (effect's Node services import all three). So each import of a
 * built-in becomes a `getBuiltinModule` call: for those three, a namespace or default import
 * becomes an object that loads the module when a property is read, and a named import of a
 * function a function that loads it when called; anything else of theirs (a class, a constant,
 * a function with a promisified variant) is read at start, with a warning.
 */
const BUILTIN_IMPORT = /^import\s+(?:\*\s+as\s+(\w+)|(\w+)|\{([^}]*)\})\s+from\s+["']([a-z_/:]+)["'];?/gm
const LOAD_ON_FIRST_USE = new Set(["crypto", "child_process", "readline", "fs/promises", "stream/promises"])
const requireBuiltin = createRequire(import.meta.url)
const builtinsOnDemand: Plugin = {
  name: "localex:builtins-on-demand",
  transform: {
    filter: { code: /^import\s[^;]*\sfrom\s+["'](node:)?[a-z_/]+["']/m },
    handler(code, id) {
      const rewritten = code.replace(BUILTIN_IMPORT, (statement, namespace, fallback, named, specifier) => {
        if (!isBuiltin(specifier)) return statement
        const name = specifier.replace(/^node:/, "")
        const load = `process.getBuiltinModule("node:${name}")`
        const onFirstUse = LOAD_ON_FIRST_USE.has(name)
        const whole = namespace ?? fallback
        if (whole !== undefined)
          return onFirstUse
            ? `const ${whole} = new Proxy({}, { get: (_, key) => ${load}[key] });`
            : `const ${whole} = ${load};`
        const bindings = (named as string)
          .split(",")
          .map((binding) => binding.trim())
          .filter((binding) => binding !== "")
          .map((binding) => {
            const [imported = "", local = imported] = binding.split(/\s+as\s+/)
            return { imported, local }
          })
        const destructure = `const { ${bindings.map(({ imported, local }) => (imported === local ? local : `${imported}: ${local}`)).join(", ")} } = ${load};`
        if (!onFirstUse) return destructure
        const module = requireBuiltin(`node:${name}`)
        const plain = ({ imported }: { imported: string }) =>
          typeof module[imported] === "function" &&
          /^[a-z]/.test(imported) &&
          module[imported][promisify.custom] === undefined
        const atStart = bindings.filter((binding) => !plain(binding))
        if (atStart.length > 0) {
          this.warn(`${id}: node:${name}'s ${atStart.map((b) => b.imported).join(", ")} loaded at start`)
          return destructure
        }
        // Function declarations: hoisted, as the imports they replace.
        return bindings
          .map(({ imported, local }) => `function ${local}(...args) { return ${load}.${imported}(...args); }`)
          .join(" ")
      })
      return rewritten === code ? null : { code: rewritten }
    }
  }
}

/**
 * sharp is a CommonJS package whose export is the function itself: in CommonJS output rolldown
 * turns `import sharp from "sharp"` into `require("sharp").default`, which it does not have. The
 * packages' imports of it go through a module that exports `require("sharp")` as the default.
 */
const SHARP = "\0localex:sharp"
const sharpDefault: Plugin = {
  name: "localex:sharp-default",
  resolveId: (source, importer) =>
    source !== "sharp" ? null : importer === SHARP ? { id: "sharp", external: true } : SHARP,
  load: (id) => (id === SHARP ? 'export default require("sharp")' : null)
}

/**
 * CommonJS has no `import.meta`: rolldown makes it `{}` (and `import.meta.url` the file's URL).
 * effect's `ConfigProvider.fromEnv` merges `import.meta?.env` (a bundler's variables, none on
 * Node) into `process.env`, so `{}` is right there; anywhere else it would be a bug, and fails
 * the build.
 */
const onLog: RolldownOptions["onLog"] = (level, log, handler) => {
  if (log.code === "EMPTY_IMPORT_META") {
    if (/[\\/]effect[\\/]dist[\\/]ConfigProvider\.js$/.test(log.id ?? "")) return
    return handler("error", log)
  }
  handler(level, log)
}

export default defineConfig({
  input: { main: "dist/main.js" },
  platform: "node",
  // sharp loads a native addon from its own package (a dependency of this one); playwright-core is never
  // reached from the CLI but is too big to bundle should a package import it.
  external: [/^sharp\//, /^playwright-core(\/|$)/],
  plugins: [inlinePackageJson, helpLayout, builtinsOnDemand, sharpDefault],
  onLog,
  output: {
    dir: "dist/bundle",
    format: "cjs",
    // .cjs: the package is "type": "module".
    entryFileNames: "[name].cjs",
    chunkFileNames: "[name]-[hash].cjs",
    cleanDir: true,
    minify: true
  }
})
