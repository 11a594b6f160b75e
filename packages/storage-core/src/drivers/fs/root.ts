/** The fs driver's root: creating it, and the signing secret it keeps. */
import { randomBytes, randomUUID } from "node:crypto"
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Effect } from "effect"
import { StorageConfigError } from "../../Errors.js"
import type { FsOptions } from "../../StorageConfig.js"
import { errno, isMissing } from "./io.js"

/** Temp files older than this were left by a process that crashed. */
const STALE_TEMP_MS = 24 * 60 * 60 * 1000

/** The driver's own folder inside the root (no key can name it: see fsPaths). */
export const internalDir = (root: string): string => path.join(root, ".localex")

const configError = (root: string) => (error: unknown) =>
  new StorageConfigError({
    setting: "LOCALEX_STORAGE_FS_ROOT",
    reason: `cannot use ${root} as the store's root: ${error instanceof Error ? error.message : String(error)}`
  })

/**
 * Creates the root and the driver's own folders; removes temp files a crashed process left a day
 * ago or more. Synchronous: it runs once, when the store opens, and a few calls in place cost a
 * command's start less than as many thread-pool round trips.
 */
export const prepareRoot = (root: string, internal: string) =>
  Effect.try({
    try: () => {
      const tmp = path.join(internal, "tmp")
      mkdirSync(tmp, { recursive: true })
      mkdirSync(path.join(internal, "locks"), { recursive: true })
      const now = Date.now()
      for (const name of readdirSync(tmp)) {
        const file = path.join(tmp, name)
        const stat = statSync(file, { throwIfNoEntry: false })
        if (stat !== undefined && now - stat.mtimeMs > STALE_TEMP_MS) rmSync(file, { force: true })
      }
    },
    catch: configError(root)
  })

/**
 * The secret that signs this store's URLs: `options.signingSecret`, else the one kept in
 * `<root>/.localex/signing-secret` (mode 0600), created on first use, atomically, so that
 * processes starting together agree. The HTTP app verifies signed URLs with it.
 */
export const signingSecret = (options: FsOptions): Effect.Effect<string, StorageConfigError> => {
  if (options.signingSecret !== undefined) {
    return options.signingSecret === ""
      ? Effect.fail(new StorageConfigError({ setting: "LOCALEX_STORAGE_SIGNING_SECRET", reason: "cannot be empty" }))
      : Effect.succeed(options.signingSecret)
  }
  const internal = internalDir(path.resolve(options.root))
  const file = path.join(internal, "signing-secret")
  return Effect.tryPromise({
    try: async () => {
      const existing = readExisting(file)
      if (existing === undefined) {
        await fs.mkdir(path.join(internal, "tmp"), { recursive: true })
        const temp = path.join(internal, "tmp", `secret-${randomUUID()}`)
        await fs.writeFile(temp, `${randomBytes(32).toString("base64url")}\n`, { flag: "wx", mode: 0o600 })
        await fs.link(temp, file).catch((error: unknown) => {
          if (errno(error) !== "EEXIST") throw error
        })
        await fs.unlink(temp)
      }
      const secret = (existing ?? (await fs.readFile(file, "utf8"))).trim()
      if (secret === "") throw new Error(`${file} is empty: delete it to generate a new secret`)
      return secret
    },
    catch: (error) =>
      new StorageConfigError({
        setting: "LOCALEX_STORAGE_SIGNING_SECRET",
        reason: `no secret given and ${file} cannot be used: ${error instanceof Error ? error.message : String(error)}`
      })
  })
}

/** The secret file's text, or undefined when there is none yet (read in place: see prepareRoot). */
const readExisting = (file: string): string | undefined => {
  try {
    return readFileSync(file, "utf8")
  } catch (error) {
    if (isMissing(error)) return undefined
    throw error
  }
}
