// Reads the repository's Dockerfile the way the deploy test needs it: its stages and, per stage,
// the instructions (RUN, ENV, CMD, HEALTHCHECK …) with continuation lines joined.
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { root } from "./workspace.mjs"

export const dockerfilePath = join(root, "Dockerfile")

/** @returns {{ name: string, from: string, instructions: { keyword: string, args: string }[] }[]} */
export const stages = (text = readFileSync(dockerfilePath, "utf8")) => {
  const logical = text
    .split("\n")
    .filter((line) => !/^\s*#/.test(line))
    .join("\n")
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
  const found = []
  for (const line of logical) {
    const [, keyword = "", args = ""] = /^(\S+)\s*(.*)$/.exec(line) ?? []
    if (keyword.toUpperCase() === "FROM") {
      const [, from = "", name = ""] = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(args) ?? []
      found.push({ name, from, instructions: [] })
    } else if (found.length > 0) {
      found.at(-1).instructions.push({ keyword: keyword.toUpperCase(), args: args.replace(/\s+/g, " ") })
    }
  }
  return found
}

export const stage = (name) => {
  const found = stages().find((s) => s.name === name)
  if (!found) throw new Error(`the Dockerfile has no stage named ${name}`)
  return found
}

/**
 * A stage's ENV values, with those of the stages it is built FROM (by name) first.
 * @returns {Record<string, string>}
 */
export const stageEnv = (name) => {
  const all = stages()
  const chain = []
  for (let s = all.find((x) => x.name === name); s; s = all.find((x) => x.name === s.from)) chain.unshift(s)
  /** @type {Record<string, string>} */
  const env = {}
  for (const s of chain) {
    for (const { keyword, args } of s.instructions) {
      if (keyword !== "ENV") continue
      for (const [, key, value] of args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) env[key] = value.replace(/^"|"$/g, "")
    }
  }
  return env
}

/**
 * The exec form (`["node", "…"]`) of a stage's CMD, ENTRYPOINT or HEALTHCHECK … CMD.
 * @returns {string[]}
 */
export const execForm = (name, keyword) => {
  const instruction = stage(name).instructions.findLast((i) => i.keyword === keyword)
  if (!instruction) throw new Error(`stage ${name} has no ${keyword}`)
  return JSON.parse(instruction.args.slice(instruction.args.indexOf("[")))
}
