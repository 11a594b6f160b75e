/**
 * A strict reader of the Prometheus text exposition format (0.0.4) for tests: every line must be
 * a `# HELP`, a `# TYPE` or a sample `name{label="value",…} number`, or the read fails.
 */
export interface Sample {
  readonly name: string
  readonly labels: Record<string, string>
  readonly value: number
}

export interface Family {
  readonly name: string
  readonly type: string
  readonly help: string
  readonly samples: Array<Sample>
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/gy

export const readPrometheusText = (text: string): Map<string, Family> => {
  const families = new Map<string, Family>()
  let current: Family | undefined
  for (const line of text.split("\n")) {
    if (line === "") continue
    const help = /^# HELP (\S+) (.*)$/.exec(line)
    if (help) {
      current = { name: help[1]!, help: help[2]!, type: "untyped", samples: [] }
      families.set(current.name, current)
      continue
    }
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line)
    if (type) {
      if (current === undefined || current.name !== type[1]) throw new Error(`TYPE without HELP: ${line}`)
      current = { ...current, type: type[2]! }
      families.set(current.name, current)
      continue
    }
    const sample = SAMPLE.exec(line)
    if (!sample || current === undefined) throw new Error(`not a sample line: ${line}`)
    const labels: Record<string, string> = {}
    const body = sample[2] ?? ""
    LABEL.lastIndex = 0
    let read = 0
    for (let m = LABEL.exec(body); m !== null; m = LABEL.exec(body)) {
      labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c))
      read = LABEL.lastIndex
    }
    if (read !== body.length) throw new Error(`bad labels: ${line}`)
    const value = sample[3] === "+Inf" ? Number.POSITIVE_INFINITY : Number(sample[3])
    if (Number.isNaN(value)) throw new Error(`bad value: ${line}`)
    if (!sample[1]!.startsWith(current.name)) throw new Error(`sample outside its family: ${line}`)
    current.samples.push({ name: sample[1]!, labels, value })
  }
  return families
}
