// docs/configuration.md is generated from the environment schema (src/config.ts): it must be
// the schema as it is, and every variable must carry a description there.

import { readFile } from 'node:fs/promises'
import t from 'tap'
import { CONFIG_DOC, renderConfigDoc } from '../scripts/docs-config.ts'
import { ConfigSchema } from '../src/config.ts'

t.test('every variable of the schema has a description', async (t) => {
  for (const [name, p] of Object.entries(ConfigSchema.properties))
    t.ok((p as { description?: string }).description, name)
})

t.test('docs/configuration.md is the schema as it is', async (t) => {
  t.ok(
    (await readFile(CONFIG_DOC, 'utf8')) === renderConfigDoc(),
    'current (npm run docs:config rewrites it)',
  )
})
