import { assert, describe, it } from "@effect/vitest"
import type { LifecycleRule } from "../src/BucketModel.js"
import { fromSdkRule, toSdkRule } from "../src/drivers/s3/rules.js"

describe("lifecycle rules in S3's shape", () => {
  it("SDK rules: round trip, RGW's flattened filters, and settings the model cannot express", () => {
    for (const rule of [
      { id: "expire-temp", enabled: true, prefix: "temp/", expirationDays: 1 },
      { id: "archive", enabled: true, prefix: "items/", transitions: [{ days: 365, storageClass: "GLACIER" }] },
      { id: "abort", enabled: true, prefix: "", abortIncompleteMultipartUploadDays: 7 },
      { id: "t", enabled: false, prefix: "x/", tags: { a: "b", c: "d" }, expirationDays: 3 },
      { id: "one-tag", enabled: true, prefix: "", tags: { k: "v" }, expiredObjectDeleteMarker: true }
    ] satisfies Array<LifecycleRule>)
      assert.deepStrictEqual(fromSdkRule(toSdkRule(rule), 0), rule)
    // As Ceph RGW returns them: legacy top-level Prefix, and an And filter flattened.
    assert.deepStrictEqual(
      fromSdkRule(
        { ID: "abort", Status: "Enabled", Prefix: "", AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } },
        0
      ),
      { id: "abort", enabled: true, prefix: "", abortIncompleteMultipartUploadDays: 7 }
    )
    assert.deepStrictEqual(
      fromSdkRule(
        {
          ID: "tagged",
          Status: "Disabled",
          Filter: { Prefix: "x/", Tag: { Key: "a", Value: "b" } },
          Expiration: { Days: 3 }
        },
        0
      ),
      { id: "tagged", enabled: false, prefix: "x/", tags: { a: "b" }, expirationDays: 3 }
    )
    const dated = fromSdkRule(
      {
        ID: "d",
        Status: "Enabled",
        Filter: { ObjectSizeGreaterThan: 10 },
        Expiration: { Date: new Date("2030-01-01") }
      },
      0
    )
    assert.deepStrictEqual(dated.unsupported, ["ObjectSizeGreaterThan", "Expiration.Date"])
  })
})
