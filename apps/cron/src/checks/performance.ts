/** Monthly: the guide's performance review (monitoring's Perf.check with the image pipeline and the CDN). */
import { Perf } from "@localex/monitoring"
import { Duration, Effect, Option } from "effect"
import { type Check, outcome } from "../Check.js"
import { CronConfig } from "../CronConfig.js"

/** The image pipeline (IMAGE_* settings); image-processing, and sharp with it, loads only when the review runs. */
const imagePipeline = Effect.gen(function* () {
  const { ImagePipeline } = yield* Effect.promise(() => import("@localex/image-processing"))
  return yield* Effect.provide(
    Effect.gen(function* () {
      return yield* ImagePipeline
    }),
    ImagePipeline.layerConfig
  )
})

export const performance: Check = {
  id: "performance.review",
  title: "Performance review",
  run: Effect.gen(function* () {
    const config = yield* CronConfig
    const pipeline = yield* imagePipeline
    const cdnFetch = Option.map(config.cdnBaseUrl, (base) =>
      Perf.fetchThroughCdn(base, Duration.toMillis(config.webhookTimeout))
    )
    const result = yield* Perf.check<unknown>(
      {
        thumbnail: (image) => pipeline.process(image),
        ...(Option.isSome(cdnFetch) ? { cdnFetch: cdnFetch.value } : {})
      },
      { samples: config.perfSamples }
    )
    const failed = result.lines.filter((line) => line.status === "fail")
    return outcome(
      result.status,
      Perf.formatPerf(result).join("; "),
      result,
      failed.length === 0 ? undefined : failed.map((line) => `${line.title}: ${line.hint}`).join(" — ")
    )
  })
}
