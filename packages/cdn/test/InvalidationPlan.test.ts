import { assert, describe, it } from "@effect/vitest"
import { InvalidationPlan, InvalidInvalidationPath } from "../src/index.js"

const planOf = (paths: ReadonlyArray<string>, options: InvalidationPlan.PlanOptions = {}) => {
  const plan = InvalidationPlan.plan(paths, { reference: "test", ...options })
  if (plan instanceof InvalidInvalidationPath) throw plan
  return plan
}

describe("InvalidationPlan", () => {
  it("normalises keys to paths CloudFront expects: leading /, URL-encoded, * only at the end", () => {
    assert.strictEqual(InvalidationPlan.normalizePath("items/123/photo.jpg"), "/items/123/photo.jpg")
    assert.strictEqual(InvalidationPlan.normalizePath("//items/a b/ü(1).jpg"), "/items/a%20b/%C3%BC%281%29.jpg")
    assert.strictEqual(InvalidationPlan.normalizePath("/items/123/*"), "/items/123/*")
    assert.strictEqual(InvalidationPlan.normalizePath("https://cdn.example.com/items/a%20b.jpg"), "/items/a%20b.jpg")
    for (const bad of ["", "items/*/photo.jpg", "items/\u0001.jpg"]) {
      const result = InvalidationPlan.normalizePath(bad)
      assert.instanceOf(result, InvalidInvalidationPath, bad)
    }
  })

  it("de-duplicates and drops paths a wildcard of the plan covers", () => {
    const plan = planOf(["items/1/a.jpg", "/items/1/a.jpg", "items/1/*", "items/1/b.jpg", "profiles/2/p.jpg"])
    assert.deepStrictEqual(plan.paths, ["/items/1/*", "/profiles/2/p.jpg"])
    assert.strictEqual(plan.duplicates, 3)
    assert.strictEqual(plan.requested, 5)
  })

  it("a bad path refuses the whole plan", () => {
    const plan = InvalidationPlan.plan(["items/1/a.jpg", "items/*/b.jpg"])
    assert.instanceOf(plan, InvalidInvalidationPath)
    assert.strictEqual((plan as InvalidInvalidationPath).path, "items/*/b.jpg")
  })

  it("within the budget: individual paths, one batch, free", () => {
    const paths = Array.from({ length: 3000 }, (_, i) => `items/${i}/photo.jpg`)
    const plan = planOf(paths)
    assert.strictEqual(plan.individual, 3000)
    assert.strictEqual(plan.wildcards, 0)
    assert.strictEqual(plan.batches.length, 1)
    assert.deepStrictEqual(plan.cost, { billablePaths: 2000, freeRemaining: 1000, usd: 10 })
  })

  it("over the path budget: collapses the fullest deepest folders into wildcards first", () => {
    // 5 paths in items/1/, 2 in items/2/, 1 in profiles/3/; budget 4 individual paths.
    const paths = [
      ...Array.from({ length: 5 }, (_, i) => `items/1/photos/${i}.jpg`),
      "items/2/a.jpg",
      "items/2/b.jpg",
      "profiles/3/p.jpg"
    ]
    const plan = planOf(paths, { maxPaths: 4 })
    assert.deepStrictEqual(plan.paths, ["/items/1/photos/*", "/items/2/a.jpg", "/items/2/b.jpg", "/profiles/3/p.jpg"])
    assert.deepStrictEqual(plan.collapsed, [{ wildcard: "/items/1/photos/*", covers: 5 }])
    assert.strictEqual(plan.cost.billablePaths, 0)
  })

  it("keeps at most 15 wildcards, folding them into their parents, and falls back to /*", () => {
    const paths = Array.from({ length: 40 }, (_, i) => [`items/${i}/a.jpg`, `items/${i}/b.jpg`]).flat()
    const plan = planOf(paths, { maxPaths: 10 })
    assert.deepStrictEqual(plan.paths, ["/items/*"])
    assert.strictEqual(plan.collapsed[0]?.covers, 80)
    const everything = planOf(
      Array.from({ length: 20 }, (_, i) => `p${i}/x/a.jpg`),
      { maxPaths: 0, maxWildcards: 15 }
    )
    assert.deepStrictEqual(everything.paths, ["/*"])
    assert.ok(everything.wildcards <= 15)
  })

  it("batches of at most 3,000 individual paths; references are idempotent per plan reference", () => {
    const paths = Array.from({ length: 7001 }, (_, i) => `items/${i}.jpg`)
    const plan = planOf(paths, { maxPaths: 10_000 })
    assert.deepStrictEqual(
      plan.batches.map((batch) => batch.paths.length),
      [3000, 3000, 1001]
    )
    assert.strictEqual(new Set(plan.batches.map((batch) => batch.callerReference)).size, 3)
    assert.deepStrictEqual(
      planOf(paths, { maxPaths: 10_000 }).batches.map((batch) => batch.callerReference),
      plan.batches.map((batch) => batch.callerReference)
    )
    assert.notStrictEqual(
      planOf(paths, { maxPaths: 10_000, reference: "other" }).batches[0]?.callerReference,
      plan.batches[0]?.callerReference
    )
    assert.deepStrictEqual(plan.cost, { billablePaths: 6001, freeRemaining: 1000, usd: 30.005 })
  })

  it("prices with the paths already used this month; a wildcard is one path", () => {
    assert.deepStrictEqual(InvalidationPlan.estimateCost(1, 1000), { billablePaths: 1, freeRemaining: 0, usd: 0.005 })
    assert.deepStrictEqual(planOf(["items/*"], { usedThisMonth: 999 }).cost, {
      billablePaths: 0,
      freeRemaining: 1,
      usd: 0
    })
  })
})
