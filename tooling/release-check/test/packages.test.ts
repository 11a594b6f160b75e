// The release dry run for packages: every published package is packed as `pnpm publish` would,
// linted (publint, arethetypeswrong), installed with npm into a scratch folder with no workspace
// links, imported, and used by the consumers in ../consumers.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { publint } from "publint"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { pack, tarballFiles, undeclaredImports, unexpectedFiles } from "../src/pack.mjs"
import { exec, run } from "../src/proc.mjs"
import { exportSpecifiers, publishedPackages, quietEnv } from "../src/workspace.mjs"

const packages = publishedPackages()
const consumersDir = join(import.meta.dirname, "../consumers")
const consumers = readdirSync(consumersDir).filter((file) => file.endsWith(".mjs"))
const attw = join(import.meta.dirname, "../node_modules/.bin/attw")

const scratch = mkdtempSync(join(tmpdir(), "localex-release-"))
const tarballs = new Map<string, string>()

beforeAll(async () => {
  mkdirSync(join(scratch, "tarballs"))
  for (const pkg of packages) tarballs.set(pkg.name, await pack(pkg, join(scratch, "tarballs")))
})
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const lintTarball = async (tarball: string) => {
  const bytes = readFileSync(tarball)
  const { messages } = await publint({
    pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer },
    level: "suggestion",
    strict: true
  })
  return messages.map((m) => `${m.type} ${m.code} at ${m.path.join(".")}`)
}

// ESM only, Node 22+: CommonJS and node10 resolution are not supported on purpose.
const typesProblems = (tarball: string) =>
  exec(attw, [tarball, "--profile", "esm-only", "--format", "ascii"], {
    cwd: scratch,
    env: quietEnv(),
    timeoutMs: 120_000
  })

describe.each(packages)("$name as published", (pkg) => {
  it("has the metadata a release needs", () => {
    const m = pkg.manifest
    expect(m.license, "license").toMatch(/\S/)
    expect(m.type).toBe("module")
    expect(m.engines?.node, "engines.node").toMatch(/^>=\s*22/)
    expect(m.files, "files").toEqual(expect.arrayContaining(["dist"]))
    expect(Object.keys(m.exports ?? {}), "exports").toContain(".")
  })

  it("ships only its manifest, docs, dist and src", async () => {
    const files = await tarballFiles(tarballs.get(pkg.name) as string)
    expect(files).toContain("dist/index.js")
    expect(unexpectedFiles(files)).toEqual([])
  })

  it("passes publint (strict, suggestions included)", async () => {
    expect(await lintTarball(tarballs.get(pkg.name) as string)).toEqual([])
  })

  it("passes arethetypeswrong (ESM, Node 16+ resolution and bundlers)", async () => {
    const { code, out } = await typesProblems(tarballs.get(pkg.name) as string)
    expect(code, out).toBe(0)
  })

  it("declares every package its built code imports", () => {
    expect(undeclaredImports(pkg)).toEqual([])
  })
})

describe("the checks can fail", () => {
  it("publint and arethetypeswrong refuse a broken package", async () => {
    const dir = join(scratch, "broken")
    mkdirSync(join(dir, "dist"), { recursive: true })
    // publint: the import condition names a file that is not there; attw: the types import
    // "./other" without an extension, which Node's ESM resolution cannot follow.
    const manifest = {
      name: "broken",
      version: "1.0.0",
      type: "module",
      files: ["dist"],
      exports: { ".": { types: "./dist/index.d.ts", import: "./dist/missing.js" } }
    }
    writeFileSync(join(dir, "package.json"), JSON.stringify(manifest))
    writeFileSync(join(dir, "dist/index.d.ts"), 'export * from "./other"\n')
    writeFileSync(join(dir, "dist/other.d.ts"), "export declare const x: number\n")
    const tarball = await pack({ name: "broken", dir, version: "1.0.0", manifest }, scratch)
    expect((await lintTarball(tarball)).join("\n")).toMatch(/FILE_DOES_NOT_EXIST/)
    const types = await typesProblems(tarball)
    expect(types.out).toMatch(/Internal resolution error/)
    expect(types.code).not.toBe(0)
  })
})

describe("installed from the tarballs with npm, outside the workspace", () => {
  const app = join(scratch, "consumer")
  let installed: Promise<void>
  const install = () => {
    installed ??= (async () => {
      mkdirSync(app, { recursive: true })
      const dependencies: Record<string, string> = {}
      const overrides: Record<string, string> = {}
      for (const [name, tarball] of tarballs) {
        dependencies[name] = `file:${tarball}`
        // A package's dependency on another of ours resolves to its tarball, never to a registry.
        overrides[name] = `$${name}`
      }
      // A consumer brings its own effect, as a user does (`npm install @localex/storage-core effect`).
      dependencies.effect = packages.find((p) => p.name === "@localex/storage-core")?.manifest.dependencies.effect
      writeFileSync(
        join(app, "package.json"),
        JSON.stringify({ name: "consumer", private: true, type: "module", dependencies, overrides }, null, 2)
      )
      // --prefer-offline: npm's cache answers what it can (the suite stays fast on a warm machine).
      await run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], {
        cwd: app,
        env: quietEnv(),
        timeoutMs: 480_000
      })
      for (const file of consumers) cpSync(join(consumersDir, file), join(app, file))
    })()
    return installed
  }

  it("installs, with every @localex package from its tarball", async () => {
    await install()
    for (const pkg of packages) {
      const installedManifest = JSON.parse(readFileSync(join(app, "node_modules", pkg.name, "package.json"), "utf8"))
      expect(installedManifest.version).toBe(pkg.version)
    }
    // No second copy of one of ours nested anywhere: every dependency between them was satisfied by a tarball.
    const tree = await exec("npm", ["ls", "--all", "--parseable"], { cwd: app, env: quietEnv(), timeoutMs: 60_000 })
    expect(tree.out.split("\n").filter((line) => /node_modules\/.*node_modules\/@localex\//.test(line))).toEqual([])
  })

  it("imports every export subpath of every package", async () => {
    await install()
    const specifiers = packages.flatMap(exportSpecifiers)
    const script = `for (const s of ${JSON.stringify(specifiers)}) await import(s)\nconsole.log("ok")`
    const { code, out } = await exec("node", ["--input-type=module", "-e", script], {
      cwd: app,
      env: quietEnv(),
      timeoutMs: 120_000
    })
    expect(out.trim(), out).toBe("ok")
    expect(code).toBe(0)
  })

  it.each(consumers)("runs the consumer %s", async (file) => {
    await install()
    const { code, out } = await exec("node", [file], { cwd: app, env: quietEnv(), timeoutMs: 120_000 })
    expect(out.trim().split("\n").at(-1), out).toBe("ok")
    expect(code).toBe(0)
  })
})
