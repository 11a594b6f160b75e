// Vitest globalSetup of every project: the local engines, started side by side rather than one
// after the other (vitest runs a project's globalSetup files in sequence). Each engine's own setup
// counts its projects on globalThis, so a run — one package or the whole suite — starts each once.
import localAws from "@localex/local-aws/vitest-global-setup"
import localS3 from "@localex/local-s3/vitest-global-setup"

/** @param {import("vitest/node").TestProject} project */
export default async function setup(project) {
  const started = await Promise.allSettled([localS3(project), localAws(project)])
  const teardowns = started.filter((result) => result.status === "fulfilled").map((result) => result.value)
  const teardown = async () => {
    await Promise.all(teardowns.map((stop) => stop()))
  }
  const failed = started.find((result) => result.status === "rejected")
  if (failed) {
    await teardown()
    throw failed.reason
  }
  return teardown
}
