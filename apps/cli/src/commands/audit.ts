/**
 * `localex-storage audit bucket|drift|iam`: the posture audit, policy drift and IAM review of
 * @localex/security — parse, call, render. Exit codes: the worst finding (0 ok, 10 low, 11 could
 * not check, 12 medium, 13 high, 14 critical), 5 drift from the baseline.
 */
import type { Drift as DriftService, IamReview as IamReviewService, Posture as PostureService } from "@localex/security"
import { Effect, Layer, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { AuditFindings, PolicyDrift } from "../failure.js"
import { storageOverrides } from "../GlobalFlags.js"
import { securityPackage } from "../lazy.js"
import { Output } from "../Output.js"
import { NAME, root } from "../root.js"
import * as views from "../views/audit.js"
import { intFlag } from "./flags.js"
import { auditLogs } from "./incident.js"
import { summaries } from "./summaries.js"

/** Output, the security services and the bucket the flags name (loaded on first use: the SDK stays out of other commands). */
const securityServices = Layer.unwrap(
  Effect.gen(function* () {
    const options = yield* root
    const { Posture, Drift, IamReview, SecurityClients } = yield* securityPackage
    const { region, profile, endpoint } = storageOverrides(options)
    return Layer.merge(
      Output.layer(options),
      Layer.mergeAll(Posture.layer, Drift.layer, IamReview.layer).pipe(
        Layer.provide(
          SecurityClients.layerConfig({
            ...(region === undefined ? {} : { region }),
            ...(profile === undefined ? {} : { profile }),
            ...(endpoint === undefined ? {} : { endpoint })
          })
        )
      )
    )
  })
)

const withSecurity = <const Name extends string, Input, ContextInput, E, R>(
  command: Command.Command<Name, Input, ContextInput, E, R>
) => Command.provide(command, securityServices)

const target = Effect.gen(function* () {
  const { auditBucket } = yield* securityPackage
  return yield* auditBucket(storageOverrides(yield* root))
})

/** Ends with the exit code of the worst finding (after the report was printed). */
const judge = (summary: { readonly exitCode: number; readonly worst: string }, what: string) =>
  summary.exitCode === 0
    ? Effect.void
    : Effect.fail(new AuditFindings({ what, worst: summary.worst, exitCode: summary.exitCode }))

const bucket = Command.make(
  "bucket",
  {
    format: Flag.Literals("format", ["table", "json", "sarif"]).pipe(
      Flag.withDescription("table (default), json (the report), sarif (SARIF 2.1.0 for code scanning)"),
      Flag.withDefault("table" as const)
    )
  },
  Effect.fn("audit.bucket")(function* (input) {
    const { Posture, Findings } = yield* securityPackage
    const posture: PostureService["Service"] = yield* Posture
    const report = yield* posture.auditBucket(yield* target)
    const output = yield* Output
    yield* output.print(
      input.format === "sarif"
        ? views.raw(Findings.toSarif(report.findings))
        : input.format === "json"
          ? views.raw(report)
          : views.posture(report)
    )
    yield* judge(report.summary, `the audit of ${report.bucket}`)
  })
).pipe(
  Command.withDescription(
    "Audit the bucket's security posture: Block Public Access (bucket and account), bucket policy (public " +
      "principals, TLS-only deny), default encryption, versioning and MFA delete, access logging, object ownership, " +
      "the lifecycle rule that aborts incomplete uploads, CORS. Exit: 0 ok, 10 low, 11 could not check, 12 medium, " +
      "13 high, 14 critical"
  ),
  Command.withExamples([
    { command: `${NAME} --bucket localex-photos audit bucket`, description: "A table of findings" },
    {
      command: `${NAME} --bucket localex-photos audit bucket --format sarif > audit.sarif`,
      description: "For code scanning"
    }
  ]),
  withSecurity
)

const drift = Command.make(
  "drift",
  {
    baseline: Flag.String("baseline").pipe(Flag.withDescription("The baseline JSON file"), Flag.withMetavar("file")),
    saveBaseline: Flag.Boolean("save-baseline").pipe(
      Flag.withDescription(
        "Write the bucket's current settings to the baseline file (atomically) instead of comparing"
      ),
      Flag.withDefault(false)
    )
  },
  Effect.fn("audit.drift")(function* (input) {
    const { Drift } = yield* securityPackage
    const service: DriftService["Service"] = yield* Drift
    const name = yield* target
    const output = yield* Output
    if (input.saveBaseline) {
      const saved = yield* service.saveBaseline(name, input.baseline)
      return yield* output.print(
        views.baselineSaved(input.baseline, name, Object.keys(saved.sections), Object.keys(saved.unchecked))
      )
    }
    const report = yield* service.check(name, input.baseline)
    yield* output.print(views.drift(report))
    if (report.drifted)
      return yield* new PolicyDrift({
        bucket: name,
        sections: report.sections.filter((s) => s.status === "changed").map((s) => s.section)
      })
    const unchecked = report.sections.filter((s) => s.status === "unchecked" || s.status === "not-in-baseline")
    if (unchecked.length > 0)
      return yield* new AuditFindings({ what: `the drift check of ${name}`, worst: "unchecked", exitCode: 11 })
  })
).pipe(
  Command.withDescription(
    "Compare the bucket policy, public access block, default encryption and CORS with a baseline file (order, " +
      "string-vs-array and Sids do not matter); --save-baseline writes one. Exit: 0 same, 5 drifted, 11 a section could not be compared"
  ),
  Command.withExamples([
    {
      command: `${NAME} --bucket localex-photos audit drift --baseline baseline.json --save-baseline`,
      description: "Record"
    },
    { command: `${NAME} --bucket localex-photos audit drift --baseline baseline.json`, description: "Compare" }
  ]),
  withSecurity
)

const days = (name: string, description: string) => intFlag(name, description, 0).pipe(Flag.optional)

const iam = Command.make(
  "iam",
  {
    maxKeyAge: days(
      "max-key-age",
      "Active access keys older than this are findings (LOCALEX_SECURITY_MAX_KEY_AGE_DAYS, default 90)"
    ),
    unusedDays: days(
      "unused-days",
      "Active keys unused this long are findings (LOCALEX_SECURITY_UNUSED_KEY_DAYS, default 90)"
    )
  },
  Effect.fn("audit.iam")(function* (input) {
    const { IamReview, loadReviewOptions } = yield* securityPackage
    const service: IamReviewService["Service"] = yield* IamReview
    const options = yield* loadReviewOptions({
      ...(Option.isSome(input.maxKeyAge) ? { maxKeyAgeDays: input.maxKeyAge.value } : {}),
      ...(Option.isSome(input.unusedDays) ? { unusedDays: input.unusedDays.value } : {})
    })
    const report = yield* service.review(yield* target, options)
    yield* (yield* Output).print(views.iam(report))
    yield* judge(report.summary, `the IAM review for ${report.bucket}`)
  })
).pipe(
  Command.withDescription(
    "Review IAM: users and roles whose policies (inline, attached, through groups) grant S3 actions on the bucket, " +
      "access keys older than --max-key-age, unused keys. Exit as audit bucket"
  ),
  Command.withExamples([
    { command: `${NAME} --bucket localex-photos audit iam --max-key-age 60`, description: "Stricter rotation" }
  ]),
  withSecurity
)

export const audit = Command.make("audit").pipe(
  Command.withDescription(summaries.audit),
  Command.withSubcommands([bucket, drift, iam, auditLogs])
)
