/**
 * How a failed run ends: one line on stderr and an exit code.
 *
 * | exit | meaning                                                                              |
 * | ---- | ------------------------------------------------------------------------------------ |
 * | 0    | success                                                                              |
 * | 1    | the operation failed (missing object, refused by the store, network, an image        |
 * |      | refused: empty, too large, not a supported format, too many pixels, cannot decode, …) |
 * | 2    | usage error: bad flag or argument, invalid key or photo reference, invalid           |
 * |      | configuration (LOCALEX_STORAGE_*, IMAGE_*)                                           |
 * | 3    | a cleanup refused by its safety limit (SafetyLimitExceeded): nothing was deleted     |
 * | 4    | `stats --quota`: a quota is exceeded (the statistics and verdict are printed)        |
 * | 5    | `audit drift`: the bucket drifted from the baseline (the differences are printed)    |
 * | 10–14| `audit bucket|iam`: the worst finding — 10 low, 11 could not check, 12 medium,       |
 * |      | 13 high, 14 critical (the findings are printed first; `audit drift` 11: a section    |
 * |      | could not be compared)                                                               |
 * | 130  | interrupted (Ctrl-C)                                                                 |
 *
 * An image that is refused is an operation failure, like a missing object: the command was
 * well formed, and it is the input file that cannot be used. For the same reason a policy or
 * quota file that does not decode (PolicyInvalid) is 1, not 2.
 *
 * The line is the typed error's own message (what failed and why) plus, where there is
 * one, what to do about it. Stack traces only with --verbose.
 */
import { Cause, Option, Schema } from "effect"
import { CliError } from "effect/cli"

/** A local file could not be read or written. */
export class LocalFileError extends Schema.TaggedError<LocalFileError>()("LocalFileError", {
  path: Schema.String,
  operation: Schema.Literals(["read", "write"]),
  reason: Schema.String
}) {
  override get message() {
    return `Cannot ${this.operation} local file "${this.path}": ${this.reason}`
  }
}

/** The fs driver's root does not exist, and the command only reads (reads never create it). */
export class RootNotFound extends Schema.TaggedError<RootNotFound>()("RootNotFound", {
  root: Schema.String
}) {
  override get message() {
    return `The root "${this.root}" does not exist (--root / LOCALEX_STORAGE_FS_ROOT): check the path; only commands that write (object put, image upload) create it`
  }
}

/** A local file changed size while it was being uploaded. */
export class LocalFileChanged extends Schema.TaggedError<LocalFileChanged>()("LocalFileChanged", {
  path: Schema.String,
  before: Schema.Number,
  after: Schema.Number
}) {
  override get message() {
    const how = this.after < this.before ? "shrank" : "grew"
    return `The local file "${this.path}" changed while it was being read (it ${how} from ${this.before} to ${this.after} bytes): nothing was stored; upload it again once it stops changing`
  }
}

/** Flags that parsed but make no sense together. */
export class UsageError extends Schema.TaggedError<UsageError>()("UsageError", {
  reason: Schema.String
}) {
  override get message() {
    return this.reason
  }
}

/** Some keys of a multi-key operation failed (the others succeeded). */
export class PartialFailure extends Schema.TaggedError<PartialFailure>()("PartialFailure", {
  operation: Schema.String,
  failed: Schema.Number,
  total: Schema.Number
}) {
  override get message() {
    return `${this.operation}: ${this.failed} of ${this.total} keys failed (see the lines above)`
  }
}

/** A quota of `stats --quota` is exceeded (the statistics and the verdict were printed first). */
export class QuotaExceeded extends Schema.TaggedError<QuotaExceeded>()("QuotaExceeded", {
  summary: Schema.Array(Schema.String)
}) {
  override get message() {
    const exceeded = this.summary.filter((line) => line.startsWith("exceeded: ")).map((line) => line.slice(10))
    return `A storage quota is exceeded: ${exceeded.join("; ")}`
  }
}

/** An audit found what its exit code says (the report was printed first). */
export class AuditFindings extends Schema.TaggedError<AuditFindings>()("AuditFindings", {
  what: Schema.String,
  worst: Schema.String,
  exitCode: Schema.Number
}) {
  override get message() {
    return this.worst === "unchecked"
      ? `${this.what}: some checks could not be made (see "could not check" above)`
      : `${this.what}: the worst finding is ${this.worst} (see the findings above)`
  }
}

/** `audit drift`: the bucket's settings differ from the baseline (the differences were printed first). */
export class PolicyDrift extends Schema.TaggedError<PolicyDrift>()("PolicyDrift", {
  bucket: Schema.String,
  sections: Schema.Array(Schema.String)
}) {
  override get message() {
    return `${this.bucket} drifted from the baseline: ${this.sections.join(", ")} changed; review the change, then fix the bucket or save a new baseline (--save-baseline)`
  }
}

const USAGE_TAGS = new Set([
  "InvalidKey",
  "InvalidMetadata",
  "InvalidCopy",
  "InvalidPhotoRef",
  "StorageConfigError",
  "ImageConfigError",
  "UsageError",
  "RootNotFound",
  "LocationInvalid",
  "InvalidTime",
  "AlarmSpecInvalid",
  "RequestMetricsInvalid",
  "CdnConfigError",
  "CdnNotConfigured",
  "InvalidInvalidationPath",
  "WarmTargetRefused",
  "SigningKeyError",
  "AuditTargetMissing",
  "ReviewSettingInvalid",
  "KeyChangeRefused",
  "InvalidIncidentRequest",
  "InvalidReportOption"
])

/** Exit codes other than 1 (operation failed) and 2 (usage). */
const EXIT_CODES: Record<string, number> = { SafetyLimitExceeded: 3, QuotaExceeded: 4, PolicyDrift: 5 }

/** What to do next, for errors whose message does not say. */
const HINTS: Record<string, string> = {
  ObjectNotFound: "check the key with `localex-storage object ls`",
  InvalidKey: "keys look like items/<id>/photo.jpg",
  PhotoNotFound: "list the photos with `localex-storage object ls --prefix items/<id>/photos/`",
  TransportError: "check the endpoint and your network, then retry",
  SafetyLimitExceeded: "see it with --dry-run; --force deletes anyway, --max-objects/--max-share change the limit"
}

export interface Report {
  readonly exitCode: number
  readonly line: string
  readonly tag: string
  /** The full cause, for --verbose. */
  readonly detail: string
}

const firstLine = (text: string) => text.split("\n")[0] ?? text

/** One line for a parse error, as `effect/cli` reports it. */
export const cliErrorLine = (error: CliError.CliError): string => {
  const suggestions = "suggestions" in error && Array.isArray(error.suggestions) ? error.suggestions : []
  const hint = suggestions.length > 0 ? ` (did you mean ${suggestions.join(" or ")}?)` : ""
  return `${firstLine(error.message)}${hint}`
}

/** The exit code and the one line for a failed run. */
export const report = (cause: Cause.Cause<unknown>): Report => {
  if (Cause.hasInterruptsOnly(cause)) {
    return { exitCode: 130, line: "interrupted", tag: "Interrupted", detail: "" }
  }
  const detail = Cause.pretty(cause)
  const failure = Option.getOrUndefined(Cause.findErrorOption(cause))
  if (failure === undefined) {
    const defect = Cause.squash(cause)
    const message = defect instanceof Error ? defect.message : String(defect)
    return {
      exitCode: 1,
      line: `unexpected error: ${firstLine(message)} (run with --verbose for details)`,
      tag: "Defect",
      detail
    }
  }
  if (CliError.isCliError(failure)) {
    const errors = failure._tag === "ShowHelp" ? failure.errors : [failure]
    const path = failure._tag === "ShowHelp" ? failure.commandPath.join(" ") : undefined
    const help = path ? ` (see '${path} --help')` : ""
    return {
      exitCode: 2,
      line: `${errors.length === 0 ? "missing subcommand" : errors.map(cliErrorLine).join("; ")}${help}`,
      tag: failure._tag,
      detail
    }
  }
  const tag = typeof failure === "object" && failure !== null && "_tag" in failure ? String(failure._tag) : "Error"
  const message = failure instanceof Error ? failure.message : String(failure)
  const hint = HINTS[tag]
  return {
    exitCode: failure instanceof AuditFindings ? failure.exitCode : (EXIT_CODES[tag] ?? (USAGE_TAGS.has(tag) ? 2 : 1)),
    line: `${firstLine(message)}${hint ? `; ${hint}` : ""}`,
    tag,
    detail
  }
}
