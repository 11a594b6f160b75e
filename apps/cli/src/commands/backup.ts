/**
 * `localex-storage backup …`: @localex/backup. Commands on the configured store (versioning,
 * replication, versions, restore, undelete, pitr) take the global flags; commands between two
 * locations (snapshot, verify, status, drill) take `SRC`/`DST` — `s3://bucket[/prefix]` or a
 * folder — each with its own `--src-*`/`--dst-*` endpoint, region and profile.
 */
import {
  BackupCheckFailed,
  Checklist,
  Location,
  PointInTime,
  Replication,
  type Side,
  type SideOverrides,
  Snapshot,
  Verify,
  Versions
} from "@localex/backup"
import { BucketAdmin, ObjectStore } from "@localex/storage-core"
import { Effect, Layer, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { UsageError } from "../failure.js"
import type { GlobalOptions } from "../GlobalFlags.js"
import { Output } from "../Output.js"
import { withProgress } from "../progress.js"
import { NAME, root } from "../root.js"
import { withServices, withWriteServices } from "../services.js"
import { dryRun, force, intFlag, optionalString, some } from "./flags.js"
import { summaries } from "./summaries.js"

const location = (name: string, description: string) =>
  Argument.String(name).pipe(Argument.withDescription(description))
const src = location("src", "Source: s3://bucket[/prefix] or a folder")
const dst = location("dst", "Destination: s3://bucket[/prefix] or a folder")
const prefix = optionalString("prefix", "Only keys under this prefix (below the locations' own)", "prefix")

const sideFlags = (side: "src" | "dst", what: string) => ({
  [`${side}Endpoint`]: optionalString(
    `${side}-endpoint`,
    `S3 endpoint of the ${what} (default: the configured one)`,
    "url"
  ),
  [`${side}Region`]: optionalString(`${side}-region`, `Region of the ${what}`, "region"),
  [`${side}Profile`]: optionalString(`${side}-profile`, `AWS profile (credentials) of the ${what}`, "name")
})
const srcFlags = sideFlags("src", "source") as {
  readonly srcEndpoint: ReturnType<typeof optionalString>
  readonly srcRegion: ReturnType<typeof optionalString>
  readonly srcProfile: ReturnType<typeof optionalString>
}
const dstFlags = sideFlags("dst", "destination") as {
  readonly dstEndpoint: ReturnType<typeof optionalString>
  readonly dstRegion: ReturnType<typeof optionalString>
  readonly dstProfile: ReturnType<typeof optionalString>
}

/** A side's flags over the global --endpoint/--region/--profile. */
const overridesOf = (
  global: GlobalOptions,
  endpoint: Option.Option<string>,
  region: Option.Option<string>,
  profile: Option.Option<string>
): SideOverrides => ({
  ...some(
    "endpoint",
    Option.orElse(endpoint, () => global.endpoint)
  ),
  ...some(
    "region",
    Option.orElse(region, () => global.region)
  ),
  ...some(
    "profile",
    Option.orElse(profile, () => global.profile)
  )
})

interface TwoSides {
  readonly src: string
  readonly dst: string
  readonly srcEndpoint: Option.Option<string>
  readonly srcRegion: Option.Option<string>
  readonly srcProfile: Option.Option<string>
  readonly dstEndpoint: Option.Option<string>
  readonly dstRegion: Option.Option<string>
  readonly dstProfile: Option.Option<string>
}

/** Opens both locations (closed with the scope). */
const openSides = Effect.fn("backup.openSides")(function* (input: TwoSides, createDestination = false) {
  const global = yield* root
  const source = yield* Location.open(
    input.src,
    overridesOf(global, input.srcEndpoint, input.srcRegion, input.srcProfile)
  )
  const destination = yield* Location.open(
    input.dst,
    overridesOf(global, input.dstEndpoint, input.dstRegion, input.dstProfile),
    { create: createDestination }
  )
  return { source, destination }
})

/** Output only: the locations are opened by the command. */
const withOutput = <const Name extends string, Input, ContextInput, E, R>(
  command: Command.Command<Name, Input, ContextInput, E, R>
) => Command.provide(command, Layer.unwrap(Effect.map(root, (options) => Output.layer(options))))

/** The configured store as a side. */
const configuredSide = Effect.gen(function* () {
  return Location.sideOf({ store: yield* ObjectStore, admin: yield* BucketAdmin })
})

const failUnless = (ok: boolean, check: string, reason: string) =>
  ok ? Effect.void : Effect.fail(new BackupCheckFailed({ check, reason }))

// --- versioning ---------------------------------------------------------------------------

const versioningCommand = (name: "status" | "enable" | "suspend") =>
  Command.make(
    name,
    name === "status" ? {} : { dryRun },
    Effect.fn(`backup.versioning.${name}`)(function* (input: { readonly dryRun?: boolean }) {
      const admin = yield* BucketAdmin
      const output = yield* Output
      if (name === "status") {
        const state = yield* Versions.status(admin)
        return yield* output.print({
          text: [
            ["bucket", state.location],
            ["versioning", state.status],
            ["MFA delete", state.mfaDelete],
            ...(state.mfaDeleteHowTo === null ? [] : [["enable MFA delete", state.mfaDeleteHowTo] as const])
          ],
          json: state
        })
      }
      const change = yield* Versions.setVersioning(admin, name === "enable" ? "Enabled" : "Suspended", {
        dryRun: input.dryRun === true
      })
      yield* output.print({
        text: [
          ["bucket", change.before.location],
          ["versioning", `${change.before.status} → ${change.after.status}`],
          ["result", change.changed ? (change.dryRun ? "would change (dry run)" : "changed") : "already so"]
        ],
        json: change
      })
    })
  ).pipe(
    Command.withDescription(
      name === "status"
        ? "Show the bucket's versioning and MFA-delete state (and how to enable MFA delete)"
        : name === "enable"
          ? "Enable versioning: every overwrite and delete keeps the previous version"
          : "Suspend versioning (existing versions are kept)"
    ),
    name === "status" ? withServices : withWriteServices
  )

const versioning = Command.make("versioning").pipe(
  Command.withDescription("The bucket's versioning: status, enable, suspend (s3 only)"),
  Command.withSubcommands([versioningCommand("status"), versioningCommand("enable"), versioningCommand("suspend")])
)

// --- replication --------------------------------------------------------------------------

const policyFlag = Flag.String("policy").pipe(
  Flag.withDescription("The replication policy, a JSON file (role, destinationRegion, rules)"),
  Flag.withMetavar("file")
)

const replicationPlan = Command.make(
  "plan",
  { policy: policyFlag },
  Effect.fn("backup.replication.plan")(function* (input) {
    const plan = yield* Replication.plan(yield* BucketAdmin, yield* Replication.loadPolicyFile(input.policy))
    yield* (yield* Output).print({ primary: true, text: Replication.formatPlan(plan), json: plan })
  })
).pipe(Command.withDescription("Show how the bucket's replication differs from the policy"), withServices)

const replicationApply = Command.make(
  "apply",
  { policy: policyFlag, dryRun },
  Effect.fn("backup.replication.apply")(function* (input) {
    const policy = yield* Replication.loadPolicyFile(input.policy)
    const result = yield* Replication.apply(yield* BucketAdmin, policy, { dryRun: input.dryRun })
    yield* (yield* Output).print({
      primary: true,
      text: Replication.formatPlan(result.plan, result.applied),
      json: result
    })
  })
).pipe(
  Command.withDescription("Make the bucket's replication equal to the policy (needs versioning enabled)"),
  withServices
)

const replication = Command.make("replication").pipe(
  Command.withDescription("Replication as code: plan, apply --policy FILE (AWS S3)"),
  Command.withSubcommands([replicationPlan, replicationApply]),
  Command.withExamples([
    { command: `${NAME} backup replication plan --policy replication.json`, description: "What apply would change" }
  ])
)

// --- snapshot, verify ---------------------------------------------------------------------

const snapshot = Command.make(
  "snapshot",
  {
    src,
    dst,
    prefix,
    delete: Flag.Boolean("delete").pipe(
      Flag.withDescription("Also remove destination objects the source does not have (through a deletion plan)"),
      Flag.withDefault(false)
    ),
    verify: Flag.Boolean("verify").pipe(
      Flag.withDescription("Verify afterwards (the guide's restore from backup: sync back, then verify)"),
      Flag.withDefault(false)
    ),
    concurrency: intFlag("concurrency", "Objects compared and copied at once (default 16)", 1, 256).pipe(Flag.optional),
    dryRun,
    force,
    ...srcFlags,
    ...dstFlags
  },
  Effect.fn("backup.snapshot")(function* (input) {
    const output = yield* Output
    const report = yield* Effect.scoped(
      Effect.gen(function* () {
        const { source, destination } = yield* openSides(input, !input.dryRun)
        const result = yield* withProgress("snapshot", undefined, (progress) =>
          Snapshot.run(source, destination, {
            ...some("prefix", input.prefix),
            ...some("concurrency", input.concurrency),
            delete: input.delete,
            dryRun: input.dryRun,
            force: input.force,
            onProgress: (p) => progress.update(p.bytesCopied)
          })
        )
        const verified =
          input.verify && !input.dryRun
            ? yield* Verify.run(source, destination, { ...some("prefix", input.prefix) })
            : undefined
        return { result, verified }
      })
    )
    yield* output.print({
      text: [
        ...Snapshot.formatReport(report.result),
        ...(report.verified === undefined ? [] : Verify.formatCounts(report.verified).slice(2))
      ],
      json: report.verified === undefined ? report.result : { ...report.result, verify: report.verified }
    })
    yield* failUnless(report.result.failed.length === 0, "snapshot", `${report.result.failed.length} objects failed`)
    if (report.verified !== undefined)
      yield* failUnless(report.verified.ok, "verify", "the destination does not hold exactly the source")
  })
).pipe(
  Command.withDescription(
    "Copy what changed from SRC to DST (content-compared, resumable); --delete mirrors deletions. " +
      "The report goes to _localex/reports/backup/snapshot/ in DST"
  ),
  Command.withExamples([
    {
      command: `${NAME} backup snapshot s3://localex-storage/items/ s3://localex-backup/items/`,
      description: "The guide's daily snapshot of items/"
    },
    {
      command: `${NAME} backup snapshot s3://localex-backup/items/ s3://localex-storage/items/ --verify`,
      description: "Restore from backup: sync back, then verify"
    },
    { command: `${NAME} backup snapshot ./data s3://localex-backup --dst-profile backup`, description: "fs → s3" }
  ]),
  withOutput
)

const verify = Command.make(
  "verify",
  {
    src,
    dst,
    prefix,
    download: Flag.Boolean("download").pipe(
      Flag.withDescription("Read both sides and compare SHA-256s of the bytes (slow, strongest)"),
      Flag.withDefault(false)
    ),
    ...srcFlags,
    ...dstFlags
  },
  Effect.fn("backup.verify")(function* (input) {
    const output = yield* Output
    const report = yield* Effect.scoped(
      Effect.gen(function* () {
        const { source, destination } = yield* openSides(input)
        return yield* Verify.run(source, destination, {
          ...some("prefix", input.prefix),
          download: input.download,
          // Text: one line per key as it is compared; JSON: the report (counts, differences).
          ...(output.mode.json || output.mode.quiet
            ? {}
            : { onEntry: (entry) => output.print({ primary: true, text: [Verify.formatEntry(entry)], json: null }) })
        })
      })
    )
    yield* output.print({ text: Verify.formatCounts(report), json: report })
    yield* failUnless(report.ok, "verify", "the destination does not hold exactly the source")
  })
).pipe(
  Command.withDescription(
    "Compare SRC and DST: `= key` same, `+` only in SRC, `-` only in DST, `*` differs, `!` error. Exit 0 only when all are ="
  ),
  withOutput
)

// --- versions, restore, undelete, pitr ----------------------------------------------------

const versions = Command.make(
  "versions",
  { keyOrPrefix: Argument.String("key-or-prefix").pipe(Argument.withDescription("A key, or a prefix")) },
  Effect.fn("backup.versions")(function* (input) {
    const admin = yield* BucketAdmin
    yield* (yield* Output).printRows({
      rows: Versions.list(admin, input.keyOrPrefix),
      text: (v) =>
        `${v.lastModified.toISOString()}  ${v.isLatest ? "latest" : "      "}  ${v.isDeleteMarker ? "(delete marker)" : String(v.size).padStart(12)}  ${v.versionId}  ${v.key}`,
      json: (v) => ({ ...v, lastModified: v.lastModified.toISOString() })
    })
  })
).pipe(Command.withDescription("List the versions and delete markers of a key or prefix, newest first"), withServices)

const restore = Command.make(
  "restore",
  {
    key: Argument.String("key").pipe(Argument.withDescription("The key to restore")),
    version: Flag.String("version").pipe(
      Flag.withDescription("The version id to make current"),
      Flag.withMetavar("id")
    ),
    dryRun
  },
  Effect.fn("backup.restore")(function* (input) {
    const result = yield* Versions.restore(yield* BucketAdmin, yield* ObjectStore, input.key, input.version, {
      dryRun: input.dryRun
    })
    yield* (yield* Output).print({
      text: [
        ["key", result.key],
        [result.dryRun ? "would restore" : "restored", result.restoredVersionId],
        ["new version", result.newVersionId ?? "(dry run)"]
      ],
      json: result
    })
  })
).pipe(Command.withDescription("Make a version current again (a copy over the current one)"), withWriteServices)

const undelete = Command.make(
  "undelete",
  { key: Argument.String("key").pipe(Argument.withDescription("The deleted key")), dryRun },
  Effect.fn("backup.undelete")(function* (input) {
    const result = yield* Versions.undelete(yield* BucketAdmin, input.key, { dryRun: input.dryRun })
    yield* (yield* Output).print({
      text: [
        ["key", result.key],
        [result.dryRun ? "would remove markers" : "removed markers", result.removedMarkers.join(", ")],
        ["current version", result.versionId]
      ],
      json: result
    })
  })
).pipe(Command.withDescription("Restore a deleted file: remove its delete marker"), withWriteServices)

const parseTime = (text: string) => {
  const ms = Date.parse(text)
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(ms))
    throw new Error(`"${text}" is not an ISO time like 2026-03-01T12:00:00Z`)
  return new Date(ms)
}

const pitr = Command.make(
  "pitr",
  {
    prefix: Flag.String("prefix").pipe(
      Flag.withDescription("The prefix to restore, e.g. items/"),
      Flag.withMetavar("prefix")
    ),
    at: Flag.String("at").pipe(
      Flag.withDescription("The time whose state is restored (ISO 8601)"),
      Flag.withMetavar("time"),
      Flag.mapTryCatch(parseTime, (error) => (error instanceof Error ? error.message : String(error)))
    ),
    into: optionalString(
      "into",
      "Restore into this location (s3://bucket[/prefix] or a folder) instead of in place",
      "loc"
    ),
    keepExtra: Flag.Boolean("keep-extra").pipe(
      Flag.withDescription("Only report keys that did not exist at that time (default: remove them)"),
      Flag.withDefault(false)
    ),
    dryRun,
    force,
    ...dstFlags
  },
  Effect.fn("backup.pitr")(function* (input) {
    if (input.prefix === "")
      return yield* new UsageError({ reason: "--prefix is empty: say what to restore, e.g. items/" })
    const global = yield* root
    const source = yield* configuredSide
    const report = yield* Effect.scoped(
      Effect.gen(function* () {
        const into: Side | undefined = Option.isSome(input.into)
          ? yield* Location.open(
              input.into.value,
              overridesOf(global, input.dstEndpoint, input.dstRegion, input.dstProfile),
              { create: !input.dryRun }
            )
          : undefined
        return yield* PointInTime.run(source, {
          prefix: input.prefix,
          at: input.at,
          ...(into === undefined ? {} : { into }),
          keepExtra: input.keepExtra,
          dryRun: input.dryRun,
          force: input.force
        })
      })
    )
    yield* (yield* Output).print({ text: PointInTime.formatReport(report), json: report })
    yield* failUnless(report.failed.length === 0, "point-in-time restore", `${report.failed.length} keys failed`)
  })
).pipe(
  Command.withDescription(
    "Restore a prefix to its state at a time: in place or --into another location; plan and manifest first"
  ),
  Command.withExamples([
    {
      command: `${NAME} --bucket localex-storage backup pitr --prefix items/ --at 2026-03-01T12:00:00Z --dry-run`,
      description: "What would change"
    }
  ]),
  withWriteServices
)

// --- checklists ---------------------------------------------------------------------------

const status = Command.make(
  "status",
  {
    src,
    dst,
    prefix,
    maxAge: intFlag("max-age-hours", "The newest snapshot may be at most this old (default 26)", 0).pipe(Flag.optional),
    sample: intFlag("sample", "Objects hash-verified on both sides (default 10)", 0).pipe(Flag.optional),
    ...srcFlags,
    ...dstFlags
  },
  Effect.fn("backup.status")(function* (input) {
    const report = yield* Effect.scoped(
      Effect.flatMap(openSides(input), ({ source, destination }) =>
        Checklist.status(source, destination, {
          ...some("prefix", input.prefix),
          ...some("maxAgeHours", input.maxAge),
          ...some("sample", input.sample)
        })
      )
    )
    yield* (yield* Output).print({ text: Checklist.formatStatus(report), json: report })
    yield* failUnless(
      report.ok,
      "backup status",
      report.checks
        .filter((c) => !c.ok)
        .map((c) => c.name)
        .join(", ")
    )
  })
).pipe(
  Command.withDescription(
    "The daily check: newest snapshot present, recent, complete, counts match, a sample verified"
  ),
  withOutput
)

const drill = Command.make(
  "drill",
  {
    src,
    dst,
    prefix,
    sample: intFlag("sample", "Objects restored (default 20)", 1).pipe(Flag.optional),
    ...srcFlags,
    ...dstFlags
  },
  Effect.fn("backup.drill")(function* (input) {
    const report = yield* Effect.scoped(
      Effect.flatMap(openSides(input), ({ source, destination }) =>
        Checklist.drill(source, destination, { ...some("prefix", input.prefix), ...some("sample", input.sample) })
      )
    )
    yield* (yield* Output).print({ text: Checklist.formatDrill(report), json: report })
    yield* failUnless(report.ok, "DR drill", `${report.mismatches.length} problems`)
  })
).pipe(
  Command.withDescription(
    "The quarterly DR drill: restore a sample of DST (the backup) into a scratch prefix, verify it against SRC, measure RTO and RPO"
  ),
  withOutput
)

export const backup = Command.make("backup").pipe(
  Command.withDescription(summaries.backup),
  Command.withSubcommands([versioning, replication, snapshot, verify, versions, restore, undelete, pitr, status, drill])
)
