/**
 * A narrow, strict reader of the two XML documents a ListObjectsV2 request can answer with:
 * `ListBucketResult` and S3's `Error`. The SDK's general XML and schema deserialisers cost
 * ~12 ms of CPU per 1,000-key page, as much as the listing costs the server; this reads the
 * same page in a fraction of that. No XML library is among this package's dependencies.
 *
 * Strict: mismatched or unclosed tags, another root, CDATA, a DOCTYPE, an unknown entity, a
 * missing or malformed Key / Size / LastModified all throw. Elements not read are skipped,
 * whatever they hold (Owner, ChecksumAlgorithm…). Keys and prefixes are URL-decoded when the
 * response says `EncodingType: url` (the request asks for it, so that any key round-trips:
 * XML 1.0 cannot carry most control characters).
 */

export interface ListedObject {
  readonly key: string
  readonly size: number
  /** As sent: quoted. */
  readonly etag: string
  readonly lastModified: Date
  readonly storageClass: string | undefined
}

export interface ListPage {
  readonly objects: Array<ListedObject>
  readonly prefixes: Array<string>
  readonly isTruncated: boolean
  readonly nextContinuationToken: string | undefined
  readonly keyCount: number | undefined
}

export class MalformedXml extends Error {
  override readonly name = "MalformedXml"
}

// An element's start or end tag, a declaration, a comment, or what this reader refuses (`<!…`).
const MARKUP = /<(\/?)([A-Za-z_][\w.:-]*)(?:\s[^>]*?)?(\/?)>|<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!/g
const ENTITY = /&(#x[0-9A-Fa-f]+|#[0-9]+|[a-z]+);|&/g
const NAMED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" }

const decodeEntities = (text: string): string =>
  text.indexOf("&") === -1
    ? text
    : text.replace(ENTITY, (match, name: string | undefined) => {
        const named = name === undefined ? undefined : NAMED[name]
        if (named !== undefined) return named
        if (name?.startsWith("#")) {
          const code = name[1] === "x" ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1))
          if (code <= 0x10ffff) return String.fromCodePoint(code)
        }
        throw new MalformedXml(`unknown entity ${match}`)
      })

/**
 * Walks the document: `leaf(parent, name, text)` for every element without child elements
 * (`parent` is the root for its direct children), `closed(name, depth)` when any element ends.
 */
const walk = (
  xml: string,
  root: string,
  leaf: (parent: string, name: string, text: string) => void,
  closed: (name: string, depth: number) => void
): void => {
  const stack: Array<string> = []
  let textStart = 0
  let hasChildren = false
  let sawRoot = false
  MARKUP.lastIndex = 0
  for (let match = MARKUP.exec(xml); match !== null; match = MARKUP.exec(xml)) {
    const name = match[2]
    if (name === undefined) {
      if (match[0] === "<!") throw new MalformedXml("CDATA and DOCTYPE are not expected here")
      continue // declaration or comment
    }
    if (match[1] === "") {
      if (stack.length === 0 && (sawRoot || name !== root))
        throw new MalformedXml(`expected one <${root}>, got <${name}>`)
      sawRoot = true
      if (match[3] === "/") {
        if (stack.length > 0) leaf(stack[stack.length - 1] as string, name, "")
        closed(name, stack.length)
        hasChildren = true
        continue
      }
      stack.push(name)
      textStart = MARKUP.lastIndex
      hasChildren = false
      continue
    }
    if (stack.pop() !== name) throw new MalformedXml(`unexpected </${name}>`)
    if (!hasChildren && stack.length > 0) {
      const text = xml.slice(textStart, match.index)
      if (text.includes("<")) throw new MalformedXml(`stray "<" in <${name}>`)
      leaf(stack[stack.length - 1] as string, name, decodeEntities(text))
    }
    closed(name, stack.length)
    hasChildren = true
  }
  if (!sawRoot || stack.length > 0) throw new MalformedXml(`the document ends before </${stack[0] ?? root}>`)
}

const urlDecode = (text: string): string => {
  try {
    // S3 encodes a space as "+" (and a "+" as %2B), as HTML forms do.
    return decodeURIComponent(text.includes("+") ? text.replace(/\+/g, " ") : text)
  } catch {
    throw new MalformedXml(`not URL encoding: ${JSON.stringify(text)}`)
  }
}

const sizeOf = (text: string): number => {
  const size = Number(text)
  if (text === "" || !Number.isSafeInteger(size) || size < 0) throw new MalformedXml(`bad Size ${JSON.stringify(text)}`)
  return size
}

const dateOf = (text: string): Date => {
  const date = new Date(text)
  if (text === "" || Number.isNaN(date.getTime())) throw new MalformedXml(`bad LastModified ${JSON.stringify(text)}`)
  return date
}

/** A `ListBucketResult` document as a page. */
export const parseListPage = (xml: string): ListPage => {
  const objects: Array<ListedObject> = []
  const prefixes: Array<string> = []
  let isTruncated = false
  let token: string | undefined
  let keyCount: number | undefined
  let encoding: string | undefined
  let object: { key?: string; size?: number; etag: string; lastModified?: Date; storageClass?: string } = { etag: "" }
  let prefix: string | undefined

  walk(
    xml,
    "ListBucketResult",
    (parent, name, text) => {
      if (parent === "Contents") {
        if (name === "Key") object.key = text
        else if (name === "Size") object.size = sizeOf(text)
        else if (name === "ETag") object.etag = text
        else if (name === "LastModified") object.lastModified = dateOf(text)
        else if (name === "StorageClass") object.storageClass = text
      } else if (parent === "CommonPrefixes") {
        if (name === "Prefix") prefix = text
      } else if (parent === "ListBucketResult") {
        if (name === "IsTruncated") isTruncated = text === "true"
        else if (name === "NextContinuationToken") token = text === "" ? undefined : text
        else if (name === "KeyCount") keyCount = sizeOf(text)
        else if (name === "EncodingType") encoding = text
      }
    },
    (name, depth) => {
      if (depth !== 1) return
      if (name === "Contents") {
        const { key, size, lastModified } = object
        if (key === undefined || size === undefined || lastModified === undefined)
          throw new MalformedXml("a <Contents> without Key, Size or LastModified")
        objects.push({ key, size, etag: object.etag, lastModified, storageClass: object.storageClass })
        object = { etag: "" }
      } else if (name === "CommonPrefixes") {
        if (prefix === undefined) throw new MalformedXml("a <CommonPrefixes> without Prefix")
        prefixes.push(prefix)
        prefix = undefined
      }
    }
  )
  if (encoding === "url") {
    for (let i = 0; i < objects.length; i++) {
      const o = objects[i] as ListedObject
      objects[i] = { ...o, key: urlDecode(o.key) }
    }
    for (let i = 0; i < prefixes.length; i++) prefixes[i] = urlDecode(prefixes[i] as string)
  }
  return { objects, prefixes, isTruncated, nextContinuationToken: token, keyCount }
}

const TRUNCATED = "<IsTruncated>true</IsTruncated>"
const TOKEN_OPEN = "<NextContinuationToken>"
const TOKEN_CLOSE = "</NextContinuationToken>"

/** The token a page continues with: its NextContinuationToken when it is truncated. */
export const nextToken = (page: ListPage): string | undefined =>
  page.isTruncated ? page.nextContinuationToken : undefined

/**
 * `nextToken` of a page read from its text by two searches, without parsing it: the listing sends
 * the next request with it before it parses the page. Text cannot hold a raw "<", so the first
 * `<NextContinuationToken>` is the element; the parse of the page must still agree, and the
 * listing fails on a page where it does not (`MalformedXml`).
 */
export const peekNextToken = (xml: string): string | undefined => {
  if (!xml.includes(TRUNCATED)) return undefined
  const open = xml.indexOf(TOKEN_OPEN)
  const close = open === -1 ? -1 : xml.indexOf(TOKEN_CLOSE, open)
  if (close === -1) return undefined
  try {
    return decodeEntities(xml.slice(open + TOKEN_OPEN.length, close)) || undefined
  } catch {
    return undefined // the parse names what is wrong
  }
}

/** S3's `<Error><Code>…</Code><Message>…</Message></Error>`, or undefined when the body is not one. */
export const parseErrorXml = (xml: string): { readonly code: string; readonly message: string } | undefined => {
  let code = ""
  let message = ""
  try {
    walk(
      xml,
      "Error",
      (parent, name, text) => {
        if (parent !== "Error") return
        if (name === "Code") code = text
        else if (name === "Message") message = text
      },
      () => {}
    )
  } catch {
    return undefined
  }
  return code === "" ? undefined : { code, message }
}
