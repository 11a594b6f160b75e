/**
 * The whole `localex-storage` command tree and its runner, for a program that embeds or extends
 * the CLI. (The `localex-storage` process itself loads only the groups its command line names:
 * tree.ts.)
 */
import { Command } from "effect/cli"
import { audit } from "./commands/audit.js"
import { backup } from "./commands/backup.js"
import { cdn } from "./commands/cdn.js"
import { cleanup } from "./commands/cleanup.js"
import { cost } from "./commands/cost.js"
import { image } from "./commands/image.js"
import { incident } from "./commands/incident.js"
import { keys } from "./commands/keys.js"
import { lifecycle, tiering } from "./commands/lifecycle.js"
import { monitor } from "./commands/monitor.js"
import { object } from "./commands/object.js"
import { perf } from "./commands/perf.js"
import { stats } from "./commands/stats.js"
import { root } from "./root.js"
import { runCommand } from "./runner.js"

export { VERSION } from "./runner.js"

export const cli = root.pipe(
  Command.withSubcommands([
    object,
    image,
    stats,
    cleanup,
    lifecycle,
    tiering,
    backup,
    monitor,
    cdn,
    cost,
    perf,
    audit,
    keys,
    incident
  ])
)

/**
 * Runs the CLI on `argv` (without `node` and the script); succeeds with the exit code. With
 * --json, stdout is one JSON document whatever happens (see runner.ts).
 */
export const run = (argv: ReadonlyArray<string>) => runCommand(cli, argv)
