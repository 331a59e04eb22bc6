// Named schemas for the API documents. Wire schemas that deserve a name carry a `title`
// (src/schemas: User, Room, Message...); the documents' generators inline every schema, so
// nameComponents() moves each titled schema into the components and leaves a $ref in its
// place. Code generators then produce one `Room` type instead of forty anonymous objects.

type Json = unknown

/** Replaces every titled schema under `root` by a $ref to `components[title]` (filled once). */
export function nameComponents(root: Json, components: Record<string, Json>, refPrefix: string): Json {
  const visit = (node: Json): Json => {
    if (Array.isArray(node)) return node.map(visit)
    if (typeof node !== 'object' || node === null) return node
    const record = node as Record<string, Json>
    const out: Record<string, Json> = {}
    for (const [key, value] of Object.entries(record)) out[key] = visit(value)
    const title = record.title
    if (typeof title === 'string' && isSchema(record) && /^[A-Z][A-Za-z]+$/.test(title)) {
      if (!(title in components)) components[title] = out
      return { $ref: `${refPrefix}${title}` }
    }
    return out
  }
  return visit(root)
}

const isSchema = (node: Record<string, unknown>) =>
  'type' in node || 'properties' in node || 'allOf' in node || 'anyOf' in node || 'oneOf' in node
