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

const NAMED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" }

const decodeEntity = (entity: string): string => {
  const named = NAMED[entity]
  if (named !== undefined) return named
  const code = /^#x[0-9A-Fa-f]+$/.test(entity)
    ? Number.parseInt(entity.slice(2), 16)
    : /^#[0-9]+$/.test(entity)
      ? Number(entity.slice(1))
      : Number.NaN
  if (code <= 0x10ffff) return String.fromCodePoint(code)
  throw new MalformedXml(`unknown entity &${entity};`)
}

const decodeEntities = (text: string): string => {
  let amp = text.indexOf("&")
  if (amp === -1) return text
  let out = ""
  let from = 0
  while (amp !== -1) {
    const semi = text.indexOf(";", amp + 1)
    if (semi === -1) throw new MalformedXml(`a bare "&" in ${JSON.stringify(text)}`)
    out += text.slice(from, amp) + decodeEntity(text.slice(amp + 1, semi))
    from = semi + 1
    amp = text.indexOf("&", from)
  }
  return out + text.slice(from)
}

const GT = 0x3e
const SLASH = 0x2f

/** A name's first character: a letter or "_"; then also digits, ".", ":" and "-". */
const isNameStart = (c: number) => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f
const isNameChar = (c: number) => isNameStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x3a || c === 0x2d
const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d

/**
 * Walks the document (its one root element is `root`, or one of them): `leaf(parent, name, text)` for every element without child elements
 * (`parent` is the root for its direct children), `closed(name, depth)` when any element ends.
 * A hand-written scanner (indexOf and char codes, no regular expression): pages are 250 KB and
 * this is most of a listing's CPU.
 */
export const walk = (
  xml: string,
  root: string | ReadonlyArray<string>,
  leaf: (parent: string, name: string, text: string) => void,
  closed: (name: string, depth: number) => void
): void => {
  const stack: Array<string> = []
  let textStart = 0
  let hasChildren = false
  let sawRoot = false
  let at = xml.indexOf("<")
  while (at !== -1) {
    const next = xml.charCodeAt(at + 1)
    if (next === 0x3f /* ? */) {
      const end = xml.indexOf("?>", at + 2)
      if (end === -1) throw new MalformedXml("an unclosed declaration")
      at = xml.indexOf("<", end + 2)
      continue
    }
    if (next === 0x21 /* ! */) {
      if (!xml.startsWith("<!--", at)) throw new MalformedXml("CDATA and DOCTYPE are not expected here")
      const end = xml.indexOf("-->", at + 4)
      if (end === -1) throw new MalformedXml("an unclosed comment")
      at = xml.indexOf("<", end + 3)
      continue
    }
    const closing = next === SLASH
    const nameStart = closing ? at + 2 : at + 1
    if (!isNameStart(xml.charCodeAt(nameStart))) throw new MalformedXml(`a stray "<" at ${at}`)
    let nameEnd = nameStart + 1
    while (isNameChar(xml.charCodeAt(nameEnd))) nameEnd++
    const after = xml.charCodeAt(nameEnd)
    if (after !== GT && after !== SLASH && !isSpace(after)) throw new MalformedXml(`a malformed tag at ${at}`)
    const end = after === GT ? nameEnd : xml.indexOf(">", nameEnd)
    if (end === -1) throw new MalformedXml("the document ends inside a tag")
    if (!closing) {
      const name = xml.slice(nameStart, nameEnd)
      if (stack.length === 0 && (sawRoot || (typeof root === "string" ? name !== root : !root.includes(name))))
        throw new MalformedXml(`expected one <${typeof root === "string" ? root : root.join("> or <")}>, got <${name}>`)
      sawRoot = true
      if (xml.charCodeAt(end - 1) === SLASH) {
        if (stack.length > 0) leaf(stack[stack.length - 1] as string, name, "")
        closed(name, stack.length)
        hasChildren = true
      } else {
        stack.push(name)
        textStart = end + 1
        hasChildren = false
      }
    } else {
      // The open element's name, compared in place (no slice for each end tag).
      const name = stack.pop()
      if (name === undefined || name.length !== nameEnd - nameStart || !xml.startsWith(name, nameStart))
        throw new MalformedXml(`unexpected </${xml.slice(nameStart, nameEnd)}>`)
      if (!hasChildren && stack.length > 0)
        leaf(stack[stack.length - 1] as string, name, decodeEntities(xml.slice(textStart, at)))
      closed(name, stack.length)
      hasChildren = true
    }
    at = xml.indexOf("<", end + 1)
  }
  if (!sawRoot || stack.length > 0) throw new MalformedXml(`the document ends before </${stack[0] ?? root}>`)
}

export const urlDecode = (text: string): string => {
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

export const dateOf = (text: string, element = "LastModified"): Date => {
  const date = new Date(text)
  if (text === "" || Number.isNaN(date.getTime())) throw new MalformedXml(`bad ${element} ${JSON.stringify(text)}`)
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
