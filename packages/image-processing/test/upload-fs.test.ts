import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll } from "vitest"
// storage-core does not export its drivers from its entry point yet: the built driver, by path.
import * as Fs from "../../storage-core/dist/drivers/Fs.js"
import { uploadSuite } from "./support/uploadSuite.js"

const root = mkdtempSync(join(tmpdir(), "localex-image-fs-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))

uploadSuite("the fs driver", Fs.layer({ root, publicUrl: "http://127.0.0.1:8080" }))
