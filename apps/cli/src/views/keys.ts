/** `keys list|add|rotate`: the key table and the one-time secret report. */
import { type KeyRecord, keyStatus } from "@localex/security/api-keys"
import { Units } from "@localex/storage-core"
import type { Document } from "../Output.js"
import { columns, instant } from "./format.js"

const statusOf = (key: KeyRecord, now: Date) => {
  const status = keyStatus(key, now)
  if (status._tag === "Active") return { status: "active" as const, text: "active" }
  if (status._tag === "Rotating")
    return { status: "rotating" as const, until: status.until, text: `rotating until ${instant(status.until)}` }
  return { status: "expired" as const, since: status.at, text: `expired ${instant(status.at)}` }
}

const age = (key: KeyRecord, now: Date) => Math.max(0, now.getTime() - key.createdAt.getTime())

/** Oldest first: id, scopes, age, expiry, status, label. */
export const keyList = (path: string, keys: ReadonlyArray<KeyRecord>, now: Date): Document => {
  const sorted = [...keys].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id))
  const rows = sorted.map((key) => [
    key.id,
    key.scopes.join("+"),
    Units.formatDuration(age(key, now)) || "0s",
    key.expiresAt === undefined ? "-" : instant(key.expiresAt),
    statusOf(key, now).text,
    key.label ?? ""
  ])
  return {
    primary: true,
    text:
      rows.length === 0
        ? [`no keys in ${path}`]
        : columns([["ID", "SCOPES", "AGE", "EXPIRES", "STATUS", "LABEL"], ...rows]),
    json: {
      file: path,
      keys: sorted.map((key) => {
        const { text: _, ...status } = statusOf(key, now)
        return {
          id: key.id,
          ...(key.label === undefined ? {} : { label: key.label }),
          scopes: key.scopes,
          createdAt: key.createdAt,
          ageSeconds: Math.floor(age(key, now) / 1000),
          ...(key.expiresAt === undefined ? {} : { expiresAt: key.expiresAt }),
          ...(key.notAfter === undefined ? {} : { notAfter: key.notAfter }),
          ...status
        }
      })
    }
  }
}

/**
 * A new key and its secret, shown this once (only the hash is kept). With --quiet, only the
 * secret (to pipe into a secret store).
 */
export const newKey = (
  path: string,
  key: KeyRecord,
  secret: string,
  quiet: boolean,
  replaced?: KeyRecord
): Document => {
  const json = {
    file: path,
    id: key.id,
    secret,
    scopes: key.scopes,
    createdAt: key.createdAt,
    ...(key.expiresAt === undefined ? {} : { expiresAt: key.expiresAt }),
    ...(replaced?.notAfter === undefined ? {} : { replaces: { id: replaced.id, notAfter: replaced.notAfter } })
  }
  if (quiet) return { primary: true, text: [secret], json }
  return {
    primary: true,
    json,
    text: [
      ["id", key.id],
      ["secret", secret],
      ["", "shown this once: store it now (the file keeps only its SHA-256)"],
      ["scopes", key.scopes.join("+")],
      ["expires", key.expiresAt === undefined ? "never" : instant(key.expiresAt)],
      ...(replaced?.notAfter === undefined
        ? []
        : [["replaces", `${replaced.id} (it works until ${instant(replaced.notAfter)})`] as const]),
      ["file", path]
    ]
  }
}
