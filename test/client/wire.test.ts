// packages/client/src/wire.ts is generated from the server's schemas: it must be what the
// generator writes today, or a schema changed without the client package following.
import { readFile } from 'node:fs/promises'
import t from 'tap'
import { renderWire, WIRE_FILE } from '../../scripts/client-wire.ts'

t.test('the client wire types match the server schemas', async (t) => {
  const committed = await readFile(WIRE_FILE, 'utf8')
  t.ok(committed === renderWire(), 'packages/client/src/wire.ts is current (npm run client:wire rewrites it)')
})
