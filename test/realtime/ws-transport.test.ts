// The frame the gateway writes to many sockets at once is built by hand (plugins/ws-transport.ts):
// it must be exactly the frame ws itself sends for the same text, at every length encoding.
import { createRequire } from 'node:module'
import t from 'tap'
import { textFrame } from '../../plugins/ws-transport.ts'

// ws's own framer: public in ws, absent from its type definitions.
const { Sender } = createRequire(import.meta.url)('ws') as {
  Sender: { frame(data: Buffer, options: object): Buffer[] }
}
const wsFrame = (text: string) =>
  Buffer.concat(
    Sender.frame(Buffer.from(text), { fin: true, rsv1: false, opcode: 1, mask: false, readOnly: false }),
  )

t.test('the same bytes as ws for every length encoding', async (t) => {
  // 7-bit lengths up to 125, 16-bit up to 65,535, 64-bit past it; and multi-byte UTF-8.
  for (const n of [0, 1, 125, 126, 127, 1000, 65_535, 65_536, 200_000]) {
    const text = 'x'.repeat(n)
    t.same(textFrame(text), wsFrame(text), `${n} bytes`)
  }
  const accents = 'é😀'.repeat(40) // 40 * 6 = 240 bytes from 120 UTF-16 units
  t.same(textFrame(accents), wsFrame(accents), 'the length counts UTF-8 bytes')
  t.equal(textFrame(accents).length, 4 + 240)
})
