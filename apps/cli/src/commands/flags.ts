/** Flag shapes the operations commands share. */
import { Units } from "@localex/storage-core"
import { Option } from "effect"
import { Flag } from "effect/cli"

export const optionalString = (name: string, description: string, metavar: string) =>
  Flag.String(name).pipe(Flag.withDescription(description), Flag.withMetavar(metavar), Flag.optional)

/** A repeatable string flag (zero or more). */
export const repeated = (name: string, description: string, metavar: string) =>
  Flag.String(name).pipe(Flag.withDescription(description), Flag.withMetavar(metavar), Flag.atLeast(0))

const checked =
  <A>(test: (value: A) => boolean, expected: string) =>
  (value: A): A => {
    if (!test(value)) throw new Error(expected)
    return value
  }

const message = (error: unknown) => (error instanceof Error ? error.message : String(error))

/** An integer flag within `[min, max]`. */
export const intFlag = (name: string, description: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  Flag.Int(name).pipe(
    Flag.withDescription(description),
    Flag.withMetavar("n"),
    Flag.mapTryCatch(
      checked(
        (n: number) => n >= min && n <= max,
        max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `${min}–${max}`
      ),
      message
    )
  )

export const dryRun = Flag.Boolean("dry-run").pipe(
  Flag.withDescription("Print the plan; write and delete nothing"),
  Flag.withDefault(false)
)

export const force = Flag.Boolean("force").pipe(
  Flag.withDescription("Run even when the plan is over the safety limit"),
  Flag.withDefault(false)
)

/** The safety limit's flags (defaults: storage-core's, 10,000 objects or 25 % above 100 objects). */
export const safetyFlags = {
  maxObjects: intFlag("max-objects", "Safety limit: refuse to delete more objects than this (default 10000)", 0).pipe(
    Flag.optional
  ),
  maxShare: Flag.Finite("max-share").pipe(
    Flag.withDescription(
      "Safety limit: refuse to delete more than this share (0–1) of the objects considered (default 0.25)"
    ),
    Flag.withMetavar("share"),
    Flag.mapTryCatch(
      checked((n: number) => n >= 0 && n <= 1, "a share between 0 and 1"),
      message
    ),
    Flag.optional
  )
} as const

export const safetyOf = (input: {
  readonly maxObjects: Option.Option<number>
  readonly maxShare: Option.Option<number>
}) => ({
  ...Option.match(input.maxObjects, { onNone: () => ({}), onSome: (maxObjects) => ({ maxObjects }) }),
  ...Option.match(input.maxShare, { onNone: () => ({}), onSome: (maxShare) => ({ maxShare }) })
})

export const sample = intFlag("sample", "Candidates shown in the output (default 20)", 0).pipe(Flag.withDefault(20))

/** `{ name: value }` when the option is set, else `{}` (exactOptionalPropertyTypes). */
export const some = <K extends string, A>(name: K, option: Option.Option<A>): { [P in K]?: A } =>
  Option.match(option, { onNone: () => ({}), onSome: (value) => ({ [name]: value }) as { [P in K]?: A } })

/** A duration ("30m", "24h", "7d"; a bare number is seconds), in milliseconds, at least `min` (0 allows "0"). */
export const duration = (name: string, description: string, min = 1) =>
  Flag.String(name).pipe(
    Flag.withDescription(description),
    Flag.withMetavar("duration"),
    Flag.mapTryCatch((text: string) => {
      const ms = Units.parseDuration(text)
      if (ms === undefined || ms < min) throw new Error("a duration such as 30m, 24h, 7d")
      return ms
    }, message)
  )
