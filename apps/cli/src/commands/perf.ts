/**
 * `localex-storage perf check`: the operations guide's performance review (monitoring's
 * Perf.check) against the configured store, with image-processing's pipeline as the thumbnail
 * operation and, with --cdn-url, the CDN fetched for cached responses. Exit 1 when a line fails.
 */
import { Perf } from "@localex/monitoring"
import { Effect, Option, Schema } from "effect"
import { Command, Flag } from "effect/cli"
import { imageProcessing } from "../lazy.js"
import { Output } from "../Output.js"
import { NAME } from "../root.js"
import { useStore, withImageWriteServices } from "../services.js"
import { intFlag, optionalString } from "./flags.js"
import { summaries } from "./summaries.js"

/** Some line of the performance review is over its target (the review was printed first). */
export class PerformanceBelowTarget extends Schema.TaggedError<PerformanceBelowTarget>()("PerformanceBelowTarget", {
  lines: Schema.Array(Schema.String)
}) {
  override get message() {
    return `Performance below the guide's targets: ${this.lines.join("; ")}`
  }
}

const check = Command.make(
  "check",
  {
    samples: intFlag("samples", "Samples per line (default 5)", 1).pipe(Flag.withDefault(5)),
    cdnUrl: optionalString("cdn-url", "Measure cached CDN responses through this base URL (<url>/<key>)", "url")
  },
  Effect.fn("perf.check")(function* (input) {
    const output = yield* Output
    yield* useStore
    const { ImagePipeline } = yield* imageProcessing
    const pipeline = yield* ImagePipeline
    const result = yield* Perf.check<unknown>(
      {
        thumbnail: (image) => pipeline.process(image),
        ...Option.match(input.cdnUrl, {
          onNone: () => ({}),
          onSome: (url) => ({ cdnFetch: Perf.fetchThroughCdn(url) })
        })
      },
      { samples: input.samples }
    )
    yield* output.print({ text: [`location  ${result.location}`, ...Perf.formatPerf(result)], json: result })
    const failed = result.lines.filter((line) => line.status === "fail")
    if (failed.length > 0)
      return yield* new PerformanceBelowTarget({ lines: failed.map((line) => `${line.title} p50 ${line.p50Ms} ms`) })
  })
).pipe(
  Command.withDescription(
    "Measure the guide's expected performance (5 MB upload < 2 s, 1 MB download < 500 ms, thumbnail < 3 s, " +
      "cached CDN response < 100 ms, signed URL < 50 ms): p50/p95 per line with the hint that applies; exit 1 when a line fails"
  ),
  Command.withExamples([
    { command: `${NAME} perf check`, description: "Against the configured store" },
    { command: `${NAME} --json perf check --samples 10 --cdn-url https://cdn.example.com`, description: "With the CDN" }
  ]),
  withImageWriteServices
)

export const perf = Command.make("perf").pipe(Command.withDescription(summaries.perf), Command.withSubcommands([check]))
