// The pure parts: policy normal form, IAM wildcards, resource scope, finding ranks and exit codes.
import { assert, describe, it } from "@effect/vitest"
import { diff } from "../src/Drift.js"
import { evaluate, resourceApplies } from "../src/IamReview.js"
import { Findings, PosturePolicy } from "../src/index.js"
import { corsFindings, policyFindings, versioningFindings } from "../src/Posture.js"

describe("policy normal form", () => {
  it("ignores statement order, string-vs-array, key order, action case, duplicates and Sids", () => {
    const a = {
      Version: "2012-10-17",
      Statement: [
        { Sid: "A", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" },
        { Effect: "Deny", Principal: { AWS: ["*"] }, Action: ["s3:*"], Resource: ["arn:aws:s3:::b"] }
      ]
    }
    const b = {
      Statement: [
        { Resource: "arn:aws:s3:::b", Action: "S3:*", Principal: "*", Effect: "Deny" },
        {
          Resource: ["arn:aws:s3:::b/*"],
          Action: ["s3:getobject", "s3:GetObject"],
          Principal: { AWS: "*" },
          Effect: "Allow",
          Sid: "B"
        }
      ],
      Version: "2012-10-17"
    }
    assert.strictEqual(
      PosturePolicy.canonical(PosturePolicy.normalizePolicy(a)),
      PosturePolicy.canonical(PosturePolicy.normalizePolicy(b))
    )
    const c = { ...a, Statement: [a.Statement[0]] }
    assert.notStrictEqual(
      PosturePolicy.canonical(PosturePolicy.normalizePolicy(a)),
      PosturePolicy.canonical(PosturePolicy.normalizePolicy(c))
    )
  })

  it("shows a difference as removed and added lines, and changed fields as before → after", () => {
    assert.deepStrictEqual(diff({ x: [1, 2], y: true }, { x: [2, 3], y: false }), [
      "- x: 1",
      "+ x: 3",
      "y: true → false"
    ])
    assert.deepStrictEqual(diff(null, { a: 1 }), ['+ {"a":1}'])
  })
})

describe("IAM wildcards and scope", () => {
  it("matches * and ? and resource patterns that reach the bucket or some of its objects", () => {
    assert.ok(PosturePolicy.globMatch("s3:Get*", "s3:getobject", true))
    assert.ok(!PosturePolicy.globMatch("s3:Get*", "s3:putobject", true))
    assert.ok(resourceApplies("*", "photos"))
    assert.ok(resourceApplies("arn:aws:s3:::photos", "photos"))
    assert.ok(resourceApplies("arn:aws:s3:::photos/items/*", "photos"))
    assert.ok(resourceApplies("arn:aws:s3:::pho?os/*", "photos"))
    assert.ok(resourceApplies("arn:aws:s3:::*/*", "photos"))
    assert.ok(!resourceApplies("arn:aws:s3:::photos-backup/*", "photos"))
    assert.ok(!resourceApplies("arn:aws:s3:::other", "photos"))
  })

  it("reads NotAction and NotResource, and cancels grants only with a whole-bucket unconditional deny", () => {
    const grantAll = {
      source: "inline:a",
      document: JSON.stringify({ Statement: { Effect: "Allow", NotAction: "s3:*", Resource: "*" } })
    }
    assert.strictEqual(evaluate([grantAll], "photos").grants.length, 0)
    const notResource = {
      source: "inline:b",
      document: JSON.stringify({ Statement: { Effect: "Allow", Action: "s3:*", NotResource: "arn:aws:s3:::secret/*" } })
    }
    assert.strictEqual(evaluate([notResource], "photos").access, "full")
    const partialDeny = {
      source: "inline:c",
      document: JSON.stringify({
        Statement: [
          { Effect: "Allow", Action: "s3:*", Resource: "*" },
          { Effect: "Deny", Action: "s3:DeleteObject", Resource: "arn:aws:s3:::photos/*" }
        ]
      })
    }
    const evaluated = evaluate([partialDeny], "photos")
    assert.strictEqual(evaluated.deniedAll, false)
    assert.deepStrictEqual(evaluated.denies, [{ source: "inline:c", actions: ["s3:deleteobject"] }])
  })
})

describe("findings", () => {
  const arn = "arn:aws:s3:::photos"
  it("ranks unchecked above low and below medium, and maps the worst to the exit code", () => {
    const unchecked = versioningFindings(arn, { _tag: "unchecked", reason: "the endpoint does not support it" })
    assert.deepStrictEqual(
      unchecked.map((f) => f.status),
      ["unchecked", "unchecked"]
    )
    assert.strictEqual(Findings.exitCode(unchecked), 11)
    const mfaOnly = versioningFindings(arn, { _tag: "found", value: { status: "Enabled", mfaDelete: "Disabled" } })
    assert.strictEqual(Findings.exitCode(mfaOnly), 10)
    assert.strictEqual(Findings.exitCode([...mfaOnly, ...unchecked]), 11)
    const allOn = versioningFindings(arn, { _tag: "found", value: { status: "Enabled", mfaDelete: "Enabled" } })
    assert.deepStrictEqual(
      allOn.map((f) => f.status),
      ["pass", "pass"]
    )
    assert.strictEqual(Findings.exitCode(allOn), 0)
    const noPolicy = policyFindings("photos", { _tag: "none" })
    assert.strictEqual(Findings.exitCode([...noPolicy, ...unchecked]), 12)
  })

  it("judges CORS: wildcard writes are high, wildcard reads and http origins low, https origins pass", () => {
    const judge = (rules: Parameters<typeof corsFindings>[1]) => corsFindings(arn, rules).map((f) => f.status)
    assert.deepStrictEqual(
      judge({ _tag: "found", value: [{ AllowedOrigins: ["https://*.example"], AllowedMethods: ["POST"] }] }),
      ["fail", "fail"]
    )
    assert.deepStrictEqual(judge({ _tag: "found", value: [{ AllowedOrigins: ["*"], AllowedMethods: ["GET"] }] }), [
      "pass",
      "fail"
    ])
    assert.deepStrictEqual(
      judge({ _tag: "found", value: [{ AllowedOrigins: ["https://shop.example"], AllowedMethods: ["PUT"] }] }),
      ["pass", "pass"]
    )
    assert.deepStrictEqual(judge({ _tag: "none" }), ["pass", "pass"])
  })
})
