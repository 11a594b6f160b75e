// Type-level check, run by `tsc` (the package's typecheck): no Effect type shows in the Promise
// APIs' signatures. Effect 4 marks its data types with string keys "~effect/…" (Effect, Stream,
// Layer, Scope, Option, …); `EffectIn<T>` finds such a key anywhere in a method's parameters or
// result, a few levels deep.
import type { BackupService } from "@localex/backup/promise"
import type { CdnService } from "@localex/cdn/promise"
import type { CostService } from "@localex/cost/promise"
import type { ImageService } from "@localex/image-processing/promise"
import type { MonitoringService } from "@localex/monitoring/promise"
import type { StorageService } from "@localex/storage-core/promise"

type Marked<T> = T extends object ? Extract<keyof T, `~effect/${string}`> : never
type Dec = [never, 0, 1, 2, 3, 4]
type EffectIn<T, Depth extends number = 4> = [Depth] extends [never]
  ? never
  : [Marked<T>] extends [never]
    ? T extends (...args: infer A) => infer R
      ? EffectIn<A[number], Dec[Depth]> | EffectIn<Awaited<R>, Dec[Depth]>
      : T extends NodeJS.ReadableStream | Uint8Array | Date | AbortSignal
        ? never
        : T extends ReadonlyArray<infer E>
          ? EffectIn<E, Dec[Depth]>
          : T extends AsyncIterable<infer E>
            ? EffectIn<E, Dec[Depth]>
            : T extends object
              ? { [K in keyof T]-?: EffectIn<T[K], Dec[Depth]> }[keyof T]
              : never
    : Marked<T>

type Clean<S> = { [K in keyof S]-?: EffectIn<S[K]> }[keyof S]
const noEffect = <S>(_: [Clean<S>] extends [never] ? true : Clean<S>) => undefined

noEffect<StorageService>(true)
noEffect<ImageService>(true)
noEffect<MonitoringService>(true)
noEffect<CostService>(true)
noEffect<CdnService>(true)
noEffect<BackupService>(true)

// The check can fail: a service object that leaks a Stream is caught.
type Leaky = { readonly list: () => Promise<{ readonly "~effect/Stream": unknown }> }
// @ts-expect-error — a leaked Effect type is an error
noEffect<Leaky>(true)
