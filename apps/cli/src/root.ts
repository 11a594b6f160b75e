/**
 * The root command: its name, description, examples and the global flags every subcommand
 * inherits. Nothing here loads a storage package, so `--help` stays cheap (services.ts builds
 * what the commands run with).
 */

import { Command } from "effect/cli"
import { globalFlags } from "./GlobalFlags.js"

export const NAME = "localex-storage"

export const root = Command.make(NAME).pipe(
  Command.withSharedFlags(globalFlags),
  Command.withDescription(
    "LocalEx Storage: store, read, list and sign the marketplace's files, process and store photos, and run " +
      "the storage operations (stats, cleanups, lifecycle, tiering), on " +
      "the fs driver (a local folder, the default) or s3. Exit codes: 0 ok, 1 the operation failed (including an " +
      "image that is refused), 2 usage error (bad flag, invalid key or photo reference, invalid configuration), " +
      "3 a cleanup refused by its safety limit, 4 a storage quota exceeded (stats --quota)."
  ),
  Command.withExamples([
    { command: `${NAME} object put ./photo.jpg items/123/photo.jpg`, description: "Upload to the local store" },
    {
      command: `${NAME} --bucket localex-photos --json object ls --prefix items/123/`,
      description: "List an S3 bucket as JSON"
    }
  ])
)
