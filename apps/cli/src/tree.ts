/**
 * The command tree the `localex-storage` process runs. A subcommand group (and the storage
 * packages, the AWS SDK and sharp behind it) is loaded only when the command line names it; the
 * others stand in with their name and summary, which is all the root's `--help` shows of them.
 * So `--help` loads no group and `object stat` loads `object` alone: most of the start-up time
 * was loading modules (README.md, "Start-up"). `--completions` needs every flag: it loads all.
 */
import { Effect } from "effect"
import { Command } from "effect/cli"
import type { cli } from "./Cli.js"
import { summaries } from "./commands/summaries.js"
import { root } from "./root.js"
import { runCommand } from "./runner.js"

type Group = keyof typeof summaries

const groups: { readonly [G in Group]: () => Promise<Command.Command.Any> } = {
  object: () => import("./commands/object.js").then((m) => m.object),
  image: () => import("./commands/image.js").then((m) => m.image),
  stats: () => import("./commands/stats.js").then((m) => m.stats),
  cleanup: () => import("./commands/cleanup.js").then((m) => m.cleanup),
  lifecycle: () => import("./commands/lifecycle.js").then((m) => m.lifecycle),
  tiering: () => import("./commands/lifecycle.js").then((m) => m.tiering),
  backup: () => import("./commands/backup.js").then((m) => m.backup),
  monitor: () => import("./commands/monitor.js").then((m) => m.monitor),
  cdn: () => import("./commands/cdn.js").then((m) => m.cdn),
  cost: () => import("./commands/cost.js").then((m) => m.cost),
  perf: () => import("./commands/perf.js").then((m) => m.perf),
  audit: () => import("./commands/audit.js").then((m) => m.audit),
  keys: () => import("./commands/keys.js").then((m) => m.keys),
  incident: () => import("./commands/incident.js").then((m) => m.incident)
}

const standIn = (group: Group) => Command.make(group).pipe(Command.withDescription(summaries[group]))

/**
 * The tree for `argv`: every group whose name is one of its words, stand-ins for the rest. (A
 * word that only looks like a group, say a key named `cost`, loads that group too: slower, not wrong.)
 */
export const treeFor = (argv: ReadonlyArray<string>) =>
  Effect.promise(async () => {
    const all = argv.some((arg) => arg === "--completions" || arg.startsWith("--completions="))
    const subcommands = await Promise.all(
      (Object.keys(groups) as Array<Group>).map((group) =>
        all || argv.includes(group) ? groups[group]() : Promise.resolve(standIn(group))
      )
    )
    // The same tree as `cli` wherever the command line can reach, hence its type.
    return root.pipe(Command.withSubcommands(subcommands)) as unknown as typeof cli
  })

/** Runs the CLI on `argv` as `run` (Cli.ts) does, loading only the groups `argv` names. */
export const run = (argv: ReadonlyArray<string>) => Effect.flatMap(treeFor(argv), (tree) => runCommand(tree, argv))
