// The workspace as the release sees it: which packages are published, which apps are deployed.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { run } from "./proc.mjs"

export const root = resolve(import.meta.dirname, "../../..")

/**
 * Every package a release publishes: each packages/* and apps/* folder with a package.json that
 * is not private. Found anew on every run, so a package added later is checked without a change here.
 * @returns {{ dir: string, name: string, version: string, manifest: Record<string, any> }[]}
 */
export const publishedPackages = () =>
  ["packages", "apps"].flatMap((parent) =>
    readdirSync(join(root, parent), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(root, parent, entry.name, "package.json")))
      .map((entry) => {
        const dir = join(root, parent, entry.name)
        const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"))
        return { dir, name: manifest.name, version: manifest.version, manifest }
      })
      .filter((pkg) => pkg.manifest.private !== true)
  )

/** The export subpaths of a package as import specifiers: "@localex/x", "@localex/x/testing", … */
export const exportSpecifiers = (pkg) =>
  Object.keys(pkg.manifest.exports ?? { ".": null })
    .filter((subpath) => !subpath.includes("*") && !subpath.endsWith(".json"))
    .map((subpath) => (subpath === "." ? pkg.name : `${pkg.name}/${subpath.slice(2)}`))

/** Environment for pnpm/npm/node children: no colours, no update notices, no telemetry. */
export const quietEnv = (extra = {}) => ({
  ...process.env,
  FORCE_COLOR: "0",
  NO_COLOR: "1",
  npm_config_update_notifier: "false",
  TURBO_TELEMETRY_DISABLED: "1",
  REDOCLY_TELEMETRY: "off",
  REDOCLY_SUPPRESS_UPDATE_NOTICE: "true",
  ...extra
})

/**
 * A throwaway copy of the workspace as a clean git tree on `main`: the files git tracks plus the
 * untracked ones it does not ignore (what a fresh clone of the current work would hold; also what
 * .dockerignore lets into a container build). No node_modules, no dist.
 */
export const cleanCopy = async (dest) => {
  const listing = await run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: root,
    env: quietEnv()
  })
  mkdirSync(dest, { recursive: true })
  for (const file of listing.split("\0").filter(Boolean)) {
    if (existsSync(join(root, file))) cpSync(join(root, file), join(dest, file), { recursive: true })
  }
  const git = (...args) => run("git", args, { cwd: dest, env: quietEnv() })
  await git("init", "-q", "-b", "main")
  await git("add", "-A")
  await git("-c", "user.name=release-check", "-c", "user.email=release-check@localhost", "commit", "-qm", "copy")
  return { dest, git }
}
