// Reading a zip in tests: its entries by name, each read (or hashed) as a stream on demand.
import { createHash } from 'node:crypto'
import type { Readable } from 'node:stream'
import yauzl from 'yauzl'

export interface ZipEntry {
  name: string
  size: number
  read(): Promise<Buffer>
  sha256(): Promise<string>
}

export async function readZip(source: string | Buffer): Promise<Map<string, ZipEntry>> {
  const options = { lazyEntries: true, autoClose: false }
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => {
    const done = (err: Error | null, z: yauzl.ZipFile) => (err ? reject(err) : resolve(z))
    if (typeof source === 'string') yauzl.open(source, options, done)
    else yauzl.fromBuffer(source, options, done)
  })
  const list = await new Promise<yauzl.Entry[]>((resolve, reject) => {
    const found: yauzl.Entry[] = []
    zip.on('entry', (e: yauzl.Entry) => {
      found.push(e)
      zip.readEntry()
    })
    zip.on('end', () => resolve(found))
    zip.on('error', reject)
    zip.readEntry()
  })
  const open = (entry: yauzl.Entry) =>
    new Promise<Readable>((resolve, reject) =>
      zip.openReadStream(entry, (err, s) => (err ? reject(err) : resolve(s))),
    )
  return new Map(
    list.map((entry) => [
      entry.fileName,
      {
        name: entry.fileName,
        size: entry.uncompressedSize,
        read: async () => Buffer.concat(await (await open(entry)).toArray()),
        sha256: async () => {
          const hash = createHash('sha256')
          for await (const chunk of await open(entry)) hash.update(chunk)
          return hash.digest('hex')
        },
      },
    ]),
  )
}
