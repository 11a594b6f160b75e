// A release as a maintainer and the Docker build run it, in a throwaway clean copy of the workspace
// (never in this tree): `pnpm version-packages` and a commit; the Dockerfile's build steps as
// written; each deploy folder started from a scratch folder with only Node; `pnpm -r publish --dry-run`.
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, relative } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { deployedApps } from "../src/apps.mjs"
import { execForm, stage, stageEnv } from "../src/dockerfile.mjs"
import { exec, run, runShell } from "../src/proc.mjs"
import { startServer } from "../src/server.mjs"
import { cleanCopy, publishedPackages, quietEnv, root } from "../src/workspace.mjs"

const scratch = mkdtempSync(join(tmpdir(), "localex-deploy-"))
const workspace = join(scratch, "workspace")
let git: (...args: string[]) => Promise<string>

// The turbo cache of this tree, so a rerun with the same sources builds nothing (versions differ
// from this tree's, so the first run builds everything, as the image build does).
const buildEnv = () => quietEnv({ ...stageEnv("build"), TURBO_CACHE_DIR: join(root, ".turbo/cache") })

beforeAll(async () => {
  ;({ git } = await cleanCopy(workspace))
})
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/**
 * Every file and symlink under a folder with its size and modification time: what "nothing was
 * written" compares. Walks by hand: readdir's `recursive` follows the symlinks of pnpm's node_modules.
 */
const snapshot = (dir: string, base = dir): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return snapshot(path, base)
    const { size, mtimeMs } = lstatSync(path)
    return [`${relative(base, path)} ${size} ${mtimeMs}`]
  })

/** The `RUN` lines of the Dockerfile's build stage, as written. */
const buildSteps = () =>
  stage("build")
    .instructions.filter((i) => i.keyword === "RUN")
    .map((i) => i.args)

/** Where `COPY --from=build <copy>/out/<stage> /app` takes the app from, in the copy. */
const deployedFolder = (app: { stage: string }) => join(scratch, "apps", app.stage)

// Only Node on PATH: nothing of pnpm, npm's globals or the workspace is reachable.
const onlyNode = (extra: Record<string, string>) => ({ PATH: dirname(process.execPath), HOME: scratch, ...extra })

/** The stage's ENV with the container's /data volume moved to a scratch folder. */
const appEnv = (stageName: string, data: string) =>
  Object.fromEntries(Object.entries(stageEnv(stageName)).map(([k, v]) => [k, v.replace(/^\/data(?=\/|$)/, data)]))

describe("a release rehearsed in a clean copy of the workspace", () => {
  const published = publishedPackages()

  it("pnpm version-packages applies the pending changesets", async () => {
    // The Dockerfile's first step (the install) brings the changesets CLI; the rest run after the commit.
    await runShell(buildSteps()[0] as string, { cwd: workspace, env: buildEnv(), timeoutMs: 480_000 })
    const pending = readdirSync(join(workspace, ".changeset")).filter((f) => f.endsWith(".md") && f !== "README.md")
    await run("pnpm", ["version-packages"], { cwd: workspace, env: buildEnv(), timeoutMs: 120_000 })
    const left = readdirSync(join(workspace, ".changeset")).filter((f) => f.endsWith(".md") && f !== "README.md")
    expect(left).toEqual([])
    for (const pkg of published) {
      const dir = join(workspace, relative(root, pkg.dir))
      const mentioned = pending.some((f) => readFileSync(join(root, ".changeset", f), "utf8").includes(`"${pkg.name}"`))
      if (!mentioned) continue
      const next = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).version
      expect(next, `${pkg.name} is bumped`).not.toBe(pkg.version)
      expect(readFileSync(join(dir, "CHANGELOG.md"), "utf8")).toContain(`## ${next}`)
    }
    await git("add", "-A")
    await git(
      "-c",
      "user.name=release-check",
      "-c",
      "user.email=release-check@localhost",
      "commit",
      "-qm",
      "version packages"
    )
  })

  it("the Dockerfile's build steps run as written: install, build, one deploy folder per app", async () => {
    const steps = buildSteps()
    expect(steps.length).toBeGreaterThan(0)
    for (const step of steps) await runShell(step, { cwd: workspace, env: buildEnv(), timeoutMs: 480_000 })
    for (const app of deployedApps) {
      expect(
        existsSync(join(workspace, "out", app.stage, "package.json")),
        `${app.name} deployed to out/${app.stage}`
      ).toBe(true)
      // COPY --from=build …/out/<stage> /app: the folder leaves the workspace for a place of its own.
      mkdirSync(dirname(deployedFolder(app)), { recursive: true })
      renameSync(join(workspace, "out", app.stage), deployedFolder(app))
      const manifest = JSON.parse(readFileSync(join(deployedFolder(app), "package.json"), "utf8"))
      expect(manifest.name).toBe(app.name)
      expect(
        Object.keys(manifest.devDependencies ?? {}).filter((d) =>
          existsSync(join(deployedFolder(app), "node_modules", d))
        )
      ).toEqual([])
    }
    rmSync(join(workspace, "out"), { recursive: true, force: true })
  })

  for (const app of deployedApps.filter((a) => a.kind === "server")) {
    it(`${app.name}: starts from a scratch folder with only Node, /health and the HEALTHCHECK answer, SIGTERM exits 0`, async () => {
      const folder = deployedFolder(app)
      const before = snapshot(folder)
      const cwd = mkdtempSync(join(scratch, "run-"))
      const data = join(cwd, "data")
      const [command, ...args] = execForm(app.stage, "CMD")
      expect(command).toBe("node")
      const server = await startServer(
        process.execPath,
        args.map((arg) => (arg.startsWith("dist/") ? join(folder, arg) : arg)),
        {
          cwd,
          env: onlyNode({ ...appEnv(app.stage, data), LOCALEX_HTTP_HOST: "127.0.0.1", LOCALEX_HTTP_PORT: "0" })
        }
      )
      try {
        const health = await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(10_000) })
        expect(health.status).toBe(200)
        expect(await health.json()).toEqual({ status: "ok", driver: "fs" })
        // The image's HEALTHCHECK command, as Docker runs it.
        const [checkCommand, ...checkArgs] = execForm(app.stage, "HEALTHCHECK")
        expect(checkCommand).toBe("node")
        const check = await exec(process.execPath, checkArgs, {
          cwd,
          env: onlyNode({ LOCALEX_HTTP_PORT: String(new URL(server.url).port) }),
          timeoutMs: 30_000
        })
        expect(check.code, check.out).toBe(0)
        // A real upload lands in the data folder (the container's volume).
        const put = await fetch(`${server.url}/v1/files?key=docs/hello.txt`, {
          method: "POST",
          headers: { authorization: `Bearer ${server.devKey}`, "content-type": "text/plain" },
          body: "hello from a deploy folder",
          signal: AbortSignal.timeout(10_000)
        })
        expect(put.status).toBe(201)
        expect(snapshot(data).join("\n")).toMatch(/hello\.txt/)
      } finally {
        const exit = await server.stop("SIGTERM", 30_000)
        expect(exit, server.output()).toEqual({ code: 0, signal: null })
      }
      // Nothing was written into the app folder: a read-only root filesystem is fine.
      expect(snapshot(folder)).toEqual(before)
    })
  }

  for (const app of deployedApps.filter((a) => a.kind === "job")) {
    it(`${app.name}: the runner starts from a scratch folder with only Node, /health and the HEALTHCHECK answer, a job runs, SIGTERM exits 0`, async () => {
      const folder = deployedFolder(app)
      const before = snapshot(folder)
      const cwd = mkdtempSync(join(scratch, "run-"))
      const data = join(cwd, "data")
      const [command, ...args] = execForm(app.stage, "CMD")
      expect(command).toBe("node")
      const inFolder = (arg: string) => (arg.startsWith("dist/") ? join(folder, arg) : arg)
      const env = onlyNode({ ...appEnv(app.stage, data), LOCALEX_CRON_HOST: "127.0.0.1", LOCALEX_CRON_PORT: "0" })
      const runner = await startServer(process.execPath, args.map(inFolder), { cwd, env, devKey: false })
      try {
        const health = await fetch(`${runner.url}/health`, { signal: AbortSignal.timeout(10_000) })
        expect(health.status).toBe(200)
        expect(await health.json()).toMatchObject({ status: "ok", jobs: ["daily", "weekly", "monthly", "quarterly"] })
        const [checkCommand, ...checkArgs] = execForm(app.stage, "HEALTHCHECK")
        expect(checkCommand).toBe("node")
        const check = await exec(process.execPath, checkArgs, {
          cwd,
          env: onlyNode({ LOCALEX_CRON_PORT: String(new URL(runner.url).port) }),
          timeoutMs: 30_000
        })
        expect(check.code, check.out).toBe(0)
        // A job run by hand beside the runner: its report lands in the data folder (the volume).
        const report = JSON.parse(
          await run(process.execPath, [inFolder("dist/bin.js"), "run", "daily", "--json"], {
            cwd,
            env,
            timeoutMs: 60_000
          })
        )
        expect(report).toMatchObject({ job: "daily", status: "pass" })
        expect(snapshot(data).join("\n")).toMatch(/_localex\/reports\/daily\/.*\.json/)
      } finally {
        const exit = await runner.stop("SIGTERM", 30_000)
        expect(exit, runner.output()).toEqual({ code: 0, signal: null })
      }
      expect(snapshot(folder)).toEqual(before)
    })
  }

  for (const app of deployedApps.filter((a) => a.kind === "cli")) {
    it(`${app.name}: --version, --help and a command run from a scratch folder with only Node`, async () => {
      const folder = deployedFolder(app)
      const before = snapshot(folder)
      const cwd = mkdtempSync(join(scratch, "run-"))
      const [command, bin] = execForm(app.stage, "ENTRYPOINT")
      expect(command).toBe("node")
      const main = join(folder, relative("/app", bin as string))
      const version = JSON.parse(readFileSync(join(folder, "package.json"), "utf8")).version
      const env = onlyNode(appEnv(app.stage, join(cwd, "data")))
      const cli = (...args: string[]) => run(process.execPath, [main, ...args], { cwd, env, timeoutMs: 60_000 })
      expect((await cli("--version")).trim()).toBe(`localex-storage v${version}`)
      expect(await cli("--help")).toMatch(/USAGE/)
      await cli("object", "put", join(folder, "package.json"), "docs/package.json")
      expect(JSON.parse(await cli("object", "ls", "-r", "--json"))).toMatchObject({
        entries: [{ type: "object", key: "docs/package.json" }]
      })
      expect(snapshot(folder)).toEqual(before)
    })
  }

  // `pnpm build` is the Dockerfile's build step, already run on this commit.
  it("pnpm -r publish --dry-run packs every published package at its new version, and only those", async () => {
    const out = await run("pnpm", ["-r", "publish", "--dry-run"], {
      cwd: workspace,
      env: buildEnv(),
      timeoutMs: 300_000
    })
    for (const pkg of published) {
      const next = JSON.parse(readFileSync(join(workspace, relative(root, pkg.dir), "package.json"), "utf8")).version
      expect(out, `${pkg.name}@${next} in the dry run`).toContain(`${pkg.name}@${next}`)
    }
    expect(out).not.toMatch(/@localex\/(local-s3|local-aws|vitest-config|workspace-cli|release-check)@/)
    expect(out).not.toMatch(/\.tsbuildinfo/)
  })
})
