// The message of a 400 VALIDATION from the validator's errors, each thing said once: a value
// outside a list of constants (a union of literals, which the validator reports as one failed
// `const` per member and a failed `anyOf`) reads "must be one of: light, dark, system".

/** What is read of an ajv error. */
export interface ValidationIssue {
  instancePath: string
  keyword: string
  message?: string
  params: Record<string, unknown>
}

export function validationMessage(issues: readonly ValidationIssue[], dataVar: string): string {
  const byPath = new Map<string, ValidationIssue[]>()
  for (const issue of issues)
    byPath.set(issue.instancePath, [...(byPath.get(issue.instancePath) ?? []), issue])
  const lines: string[] = []
  for (const [path, group] of byPath) {
    const where = `${dataVar}${path}`
    const allowed = group.flatMap((i) =>
      i.keyword === 'const'
        ? [i.params.allowedValue]
        : i.keyword === 'enum'
          ? (i.params.allowedValues as unknown[])
          : [],
    )
    const union = group.some((i) => i.keyword === 'anyOf' || i.keyword === 'oneOf')
    if (allowed.length > 0 && (union || group.every((i) => i.keyword === 'enum'))) {
      lines.push(`${where} must be one of: ${[...new Set(allowed.map(String))].join(', ')}`)
      continue
    }
    const said = new Set<string>()
    for (const issue of group) {
      if (union && (issue.keyword === 'anyOf' || issue.keyword === 'oneOf') && group.length > 1) continue
      said.add(issue.message ?? 'is not valid')
    }
    lines.push(`${where} ${[...said].join(union ? ' or ' : ', ')}`)
  }
  return lines.join('; ')
}
