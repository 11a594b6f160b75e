/**
 * `node apps/http/dist/main.js`: the LocalEx Storage HTTP API. Configuration comes from the
 * environment (see HttpConfig and README.md). SIGTERM/SIGINT stop it gracefully, exit code 0.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Console, Effect, Exit, Layer } from "effect"
import { ServerLive } from "./Server.js"

Layer.launch(ServerLive).pipe(
  // A server that cannot start says why in one line (bad setting, port in use, unusable data folder).
  Effect.tapCause((cause) =>
    Cause.hasInterruptsOnly(cause)
      ? Effect.void
      : Console.error(`localex-storage http: cannot start: ${startupMessage(cause)}`)
  ),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    teardown: (exit, onExit) => onExit(Exit.isSuccess(exit) || Cause.hasInterruptsOnly(exit.cause) ? 0 : 1)
  })
)

function startupMessage(cause: Cause.Cause<unknown>): string {
  const error = Cause.squash(cause)
  if (error instanceof Error) {
    const code = (error.cause as NodeJS.ErrnoException | undefined)?.code
    return code === "EADDRINUSE" ? "the port is in use: set LOCALEX_HTTP_PORT" : oneLine(error.message)
  }
  return oneLine(String(error))
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ")
}
