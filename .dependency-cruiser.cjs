// The package arrows of docs/architecture.md, checked by `pnpm lint` (depcruise):
// apps → domain packages → storage-core, domain packages only along the DAG, no cycles,
// no AWS SDK in the apps, nothing importing an app. Sources are parsed with swc (parser: "swc"),
// so depcruise's note that it lacks a TypeScript compiler (it supports tsc < 7) does not apply.
const ALLOWED = {
  "storage-core": [],
  cdn: ["storage-core"],
  "image-processing": ["storage-core", "cdn"],
  monitoring: ["storage-core"],
  cost: ["storage-core", "monitoring"],
  backup: ["storage-core"],
  security: ["storage-core", "monitoring", "cdn", "backup"]
}
const PACKAGES = Object.keys(ALLOWED)
// A workspace package, however it is reached: its sources or build, node_modules/@localex/…, or the
// bare name when it does not resolve (a package that does not declare the dependency).
const pkg = (names) => `(^packages/(${names.join("|")})/|(^|/)@localex/(${names.join("|")})(/|$))`

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "Import cycles make modules load in an order nobody chose; split the shared part out.",
      from: { path: "^(packages|apps)/[^/]+/src/" },
      to: { circular: true }
    },
    {
      name: "apps-no-aws-sdk",
      severity: "error",
      comment: "AWS SDK clients are created only inside the packages' AWS layers.",
      from: { path: "^apps/[^/]+/src/" },
      to: { path: "(^|/)@aws-sdk/" }
    },
    {
      name: "nothing-imports-an-app",
      severity: "error",
      comment: "Apps are adapters at the edge: no package and no other app imports one.",
      from: { path: "^(packages|apps)/([^/]+)/" },
      to: { path: "(^apps/|(^|/)@localex/(cli|http|cron)(/|$))", pathNot: "^apps/$2/" }
    },
    ...PACKAGES.map((name) => {
      const others = PACKAGES.filter((other) => other !== name && !ALLOWED[name].includes(other))
      return {
        name: `${name}-arrows`,
        severity: "error",
        comment: `${name} may import only ${ALLOWED[name].join(", ") || "no other package"} (docs/architecture.md).`,
        from: { path: `^packages/${name}/src/` },
        to: { path: pkg(others) }
      }
    })
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    parser: "swc",
    tsPreCompilationDeps: true,
    combinedDependencies: true,
    exclude: { path: "(^|/)(dist|test|bench)/" },
    tsConfig: { fileName: "tsconfig.base.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "types"],
      extensions: [".ts", ".js"]
    }
  }
}
