/**
 * `localex-storage keys list|add|rotate`: the HTTP app's API key file (--file, else
 * LOCALEX_HTTP_API_KEYS_FILE), over @localex/security/api-keys. Writes are conditional: a file
 * changed by someone else since it was read is refused (KeyFileChanged) and nothing is written.
 */
import {
  addKey,
  generateSecret,
  grants,
  keyFileFromEnv,
  readKeyFile,
  rotateKey,
  writeKeyFile
} from "@localex/security/api-keys"
import { Effect, Layer, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { UsageError } from "../failure.js"
import { Output } from "../Output.js"
import { NAME, root } from "../root.js"
import * as views from "../views/keys.js"
import { duration, optionalString, repeated } from "./flags.js"
import { summaries } from "./summaries.js"

const file = optionalString("file", "The key file (default: LOCALEX_HTTP_API_KEYS_FILE)", "path")

const pathOf = (flag: Option.Option<string>) =>
  Effect.gen(function* () {
    if (Option.isSome(flag)) return flag.value
    const env = yield* keyFileFromEnv
    if (Option.isSome(env)) return env.value
    return yield* new UsageError({ reason: "Which key file? Give --file or set LOCALEX_HTTP_API_KEYS_FILE" })
  })

const list = Command.make(
  "list",
  {
    file,
    scope: optionalString("scope", "Only keys that grant this scope (admin grants every scope)", "scope")
  },
  Effect.fn("keys.list")(function* (input) {
    const output = yield* Output
    const path = yield* pathOf(input.file)
    const loaded = yield* readKeyFile(path)
    const keys = Option.match(input.scope, {
      onNone: () => loaded.file.keys,
      onSome: (scope) => loaded.file.keys.filter((key) => grants(new Set(key.scopes), scope))
    })
    yield* output.print(views.keyList(path, keys, new Date()))
  })
).pipe(
  Command.withDescription(
    "List the API keys of the key file, oldest first: id, scopes, age, expiry, status (active, rotating until T, expired), label"
  ),
  Command.withExamples([
    { command: `${NAME} keys list --file /etc/localex/api-keys.json`, description: "Every key" },
    { command: `${NAME} --json keys list --scope write`, description: "Keys that can write, as JSON" }
  ])
)

const expiresIn = duration("expires-in", "The new key stops working this long from now (e.g. 90d)").pipe(Flag.optional)

const add = Command.make(
  "add",
  {
    file,
    scope: repeated("scope", "A scope of the new key: read, write, admin (repeat for several)", "scope"),
    id: optionalString("id", "The new key's id (default: key-<first 8 hex digits of its hash>)", "id"),
    label: optionalString("label", "A note on what the key is for", "text"),
    expiresIn
  },
  Effect.fn("keys.add")(function* (input) {
    const output = yield* Output
    const path = yield* pathOf(input.file)
    const loaded = yield* readKeyFile(path, { missingIsEmpty: true })
    const now = new Date()
    const secret = generateSecret()
    const added = yield* addKey(loaded.file, {
      scopes: input.scope,
      ...Option.match(input.id, { onNone: () => ({}), onSome: (id) => ({ id }) }),
      ...Option.match(input.label, { onNone: () => ({}), onSome: (label) => ({ label }) }),
      ...Option.match(input.expiresIn, {
        onNone: () => ({}),
        onSome: (ms) => ({ expiresAt: new Date(now.getTime() + ms) })
      }),
      now,
      secret
    })
    yield* writeKeyFile(loaded, added.file)
    yield* output.print(views.newKey(path, added.key, secret, output.mode.quiet))
  })
).pipe(
  Command.withDescription(
    "Add a key: a new random secret (32 bytes, base64url) printed once; the file (created if missing, mode 0600) keeps only its SHA-256"
  ),
  Command.withExamples([
    {
      command: `${NAME} keys add --file api-keys.json --id uploader --scope read --scope write --expires-in 90d`,
      description: "A key that can read and write, for 90 days"
    }
  ])
)

const rotate = Command.make(
  "rotate",
  {
    file,
    id: Flag.String("id").pipe(Flag.withDescription("The key to replace"), Flag.withMetavar("id")),
    overlap: duration(
      "overlap",
      "How long the old key keeps working beside the new one (default 24h; 0: stop now)",
      0
    ).pipe(Flag.withDefault(24 * 3_600_000)),
    newId: optionalString("new-id", "The new key's id (default: <id>.2, <id>.3, …)", "id"),
    expiresIn
  },
  Effect.fn("keys.rotate")(function* (input) {
    const output = yield* Output
    const path = yield* pathOf(input.file)
    const loaded = yield* readKeyFile(path)
    const now = new Date()
    const secret = generateSecret()
    const rotation = yield* rotateKey(loaded.file, path, {
      id: input.id,
      overlapMs: input.overlap,
      now,
      secret,
      ...Option.match(input.newId, { onNone: () => ({}), onSome: (newId) => ({ newId }) }),
      ...Option.match(input.expiresIn, {
        onNone: () => ({}),
        onSome: (ms) => ({ expiresAt: new Date(now.getTime() + ms) })
      })
    })
    yield* writeKeyFile(loaded, rotation.file)
    yield* output.print(views.newKey(path, rotation.key, secret, output.mode.quiet, rotation.old))
  })
).pipe(
  Command.withDescription(
    "Rotate a key: add its successor (same scopes and label, a new secret printed once) and end the old key after the overlap window"
  ),
  Command.withExamples([
    { command: `${NAME} keys rotate --id uploader --overlap 1h`, description: "Old and new both work for an hour" }
  ])
)

const outputOnly = Layer.unwrap(Effect.map(root, (options) => Output.layer(options)))

export const keys = Command.make("keys").pipe(
  Command.withDescription(summaries.keys),
  Command.withSubcommands([list, add, rotate]),
  Command.provide(outputOnly)
)
