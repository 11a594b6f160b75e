// Packs the published packages the way `pnpm publish` would, and checks what the tarballs hold.

import { readdirSync, readFileSync } from "node:fs"
import { builtinModules } from "node:module"
import { join, relative } from "node:path"
import { run } from "./proc.mjs"
import { quietEnv } from "./workspace.mjs"

/** `pnpm pack` (workspace: ranges become real versions) into `dest`; returns the tarball's path. */
export const pack = async (pkg, dest) => {
  const out = await run("pnpm", ["pack", "--pack-destination", dest], {
    cwd: pkg.dir,
    env: quietEnv(),
    timeoutMs: 120_000
  })
  const tarball = out
    .trim()
    .split("\n")
    .findLast((line) => line.trim().endsWith(".tgz"))
  if (!tarball) throw new Error(`pnpm pack printed no tarball for ${pkg.name}:\n${out}`)
  return tarball.trim()
}

/** The files in a tarball, relative to its `package/` folder. */
export const tarballFiles = async (tarball) =>
  (await run("tar", ["-tzf", tarball], { cwd: "/", env: quietEnv() }))
    .split("\n")
    .filter(Boolean)
    .map((line) => line.replace(/^package\//, ""))

/** What a published package may hold: its manifest, docs, built code and the sources its maps point at. */
export const unexpectedFiles = (files) =>
  files.filter(
    (file) =>
      !/^(package\.json|README\.md|CHANGELOG\.md|LICENSE(\.md)?)$/.test(file) &&
      !(/^(dist|src)\//.test(file) && !/\.tsbuildinfo$|(^|\/)(test|__tests__)\/|\.test\.[cm]?[jt]s$/.test(file))
  )

const walk = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)]
  )

const builtins = new Set(builtinModules)
const bareSpecifier = /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(\/[\w./-]*)?$/i
const packageName = (specifier) =>
  specifier
    .split("/")
    .slice(0, specifier.startsWith("@") ? 2 : 1)
    .join("/")

/**
 * Packages the built code imports (statically or with `import()`, so drivers loaded on demand
 * count too) that package.json does not declare as a dependency.
 */
export const undeclaredImports = (pkg) => {
  const declared = new Set([
    pkg.name,
    ...Object.keys(pkg.manifest.dependencies ?? {}),
    ...Object.keys(pkg.manifest.peerDependencies ?? {}),
    ...Object.keys(pkg.manifest.optionalDependencies ?? {})
  ])
  const missing = new Set()
  for (const file of walk(join(pkg.dir, "dist")).filter((f) => /\.[cm]?js$/.test(f))) {
    const code = readFileSync(file, "utf8")
    // A bare `import "x"` only at the start of a line: bundled code quotes one in an error message.
    for (const [, specifier] of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm)) {
      if (!bareSpecifier.test(specifier) || specifier.startsWith("node:") || builtins.has(specifier)) continue
      const name = packageName(specifier)
      if (!declared.has(name)) missing.add(`${name} (${relative(pkg.dir, file)})`)
    }
  }
  return [...missing]
}
