/**
 * The in-memory store of the testing subpath (`layerMemory`): the same ObjectStore contract as
 * the fs and s3 drivers, so tests that use it rely on what the real drivers do.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Stream } from "effect"
import { BucketAdmin } from "../src/BucketAdmin.js"
import * as Memory from "../src/drivers/Memory.js"
import { ObjectStore } from "../src/ObjectStore.js"
import { layerMemory } from "../src/testing.js"
import { checkLocalSignature, objectStoreContract } from "./contract/ObjectStoreContract.js"

const SECRET = "memory-contract-secret"
const services = Effect.runSync(Memory.makeServices({ signingSecret: SECRET }))

objectStoreContract(
  "memory",
  Layer.succeedContext(Context.make(ObjectStore, services.store).pipe(Context.add(BucketAdmin, services.admin))),
  {
    checkPresigned: checkLocalSignature(SECRET),
    tagsOf: (key) => services.admin.getObjectTags(key)
  }
)

describe("layerMemory", () => {
  it.effect("is a new, empty store each time it is built, and has no bucket configuration", () =>
    Effect.gen(function* () {
      const first = Effect.gen(function* () {
        const store = yield* ObjectStore
        yield* store.put("a/b", new Uint8Array([1]), { tags: { kind: "photo" } })
        const admin = yield* BucketAdmin
        assert.deepStrictEqual(yield* admin.getObjectTags("a/b"), { kind: "photo" })
        const refused = yield* Effect.flip(admin.getVersioning())
        assert.strictEqual(refused._tag, "UnsupportedByDriver")
        assert.match(refused.message, /The memory driver does not support versions/)
        return store.driver
      })
      assert.strictEqual(yield* Effect.provide(first, layerMemory()), "memory")
      const second = Effect.gen(function* () {
        const store = yield* ObjectStore
        return yield* Stream.runCollect(store.list())
      })
      assert.deepStrictEqual(yield* Effect.provide(second, layerMemory()), [])
    })
  )
})
