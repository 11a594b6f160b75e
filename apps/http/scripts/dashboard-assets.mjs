// Copies the dashboard's static files next to its compiled script (dist/dashboard/), with the
// chart library from the installed chart.js: the page loads nothing from elsewhere at view time.
import { copyFileSync, mkdirSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"

const app = join(import.meta.dirname, "..")
const out = join(app, "dist/dashboard")
mkdirSync(out, { recursive: true })
for (const file of ["index.html", "app.css"]) copyFileSync(join(app, "src/dashboard", file), join(out, file))
const chartJs = dirname(createRequire(join(app, "package.json")).resolve("chart.js"))
copyFileSync(join(chartJs, "chart.umd.min.js"), join(out, "chart.umd.min.js"))
