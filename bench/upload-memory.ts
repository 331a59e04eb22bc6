// Memory while uploading and downloading a large file: starts one instance (embedded, or
// scaled when MONGODB_URL/REDIS_URL are set), streams a generated file of --size MB to
// POST /api/rooms/:id/files and reads it back from GET /api/files/:id, and samples the
// instance's resident set size every 100 ms. A streaming server's RSS stays near its baseline
// whatever the file's size; one that buffers grows by the file's size.
//
//   node --import tsx bench/upload-memory.ts --size 100
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { request } from 'node:http'
import { ChatHttp } from '../packages/client/src/index.ts'
import { checkFlags, flagNumber, int, parseFlags, sleep, startInstances } from './lib.ts'

const USAGE = `node --import tsx bench/upload-memory.ts [flags]
  --size MB       the file's size in MiB (default 100)
  --verbose       show the instance's output`

const MiB = 1024 * 1024
const flags = parseFlags()
checkFlags(flags, ['size', 'verbose', 'help'], USAGE)
const SIZE = Math.round(flagNumber(flags, 'size', 100) * MiB)

/** Resident set size and its high-water mark of a process, in bytes, from /proc. */
function memory(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') }
}

/** Samples the RSS every 100 ms until stopped; returns the samples. */
function sampler(pid: number) {
  const samples: number[] = []
  const timer = setInterval(() => samples.push(memory(pid).rss), 100)
  samples.push(memory(pid).rss)
  return {
    samples,
    stop: () => {
      clearInterval(timer)
      samples.push(memory(pid).rss)
      return samples
    },
  }
}

/** The bytes of the generated file: a pseudo-random 1 MiB block, each copy stamped with its index. */
function* generated(size: number): Generator<Buffer> {
  const block = Buffer.alloc(MiB)
  let x = 0x9e3779b9
  for (let i = 0; i < block.length; i += 4) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    block.writeUInt32LE(x >>> 0, i)
  }
  for (let sent = 0, n = 0; sent < size; n++) {
    const piece = Buffer.from(block.subarray(0, Math.min(block.length, size - sent)))
    piece.writeUInt32LE(n, 0)
    sent += piece.length
    // In 64 KiB writes, as a browser or curl would send them.
    for (let i = 0; i < piece.length; i += 64 * 1024) yield piece.subarray(i, i + 64 * 1024)
  }
}

function upload(
  base: string,
  token: string,
  roomId: string,
): Promise<{ status: number; body: any; sha: string }> {
  const boundary = `----bench${Date.now().toString(16)}`
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  )
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`)
  const hash = createHash('sha256')
  return new Promise((resolve, reject) => {
    const req = request(`${base}/api/rooms/${roomId}/files`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(head.length + SIZE + tail.length),
      },
    })
    req.on('error', reject)
    req.on('response', (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c) => {
        text += c
      })
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text), sha: hash.digest('hex') }),
      )
    })
    void (async () => {
      req.write(head)
      for (const piece of generated(SIZE)) {
        hash.update(piece)
        if (!req.write(piece)) await new Promise((r) => req.once('drain', r))
      }
      req.end(tail)
    })().catch(reject)
  })
}

async function download(base: string, token: string, id: string): Promise<{ bytes: number; sha: string }> {
  const res = await fetch(`${base}/api/files/${id}`, { headers: { authorization: `Bearer ${token}` } })
  if (!res.ok || !res.body) throw new Error(`download: ${res.status}`)
  const hash = createHash('sha256')
  let bytes = 0
  for await (const chunk of res.body) {
    hash.update(chunk)
    bytes += chunk.length
  }
  return { bytes, sha: hash.digest('hex') }
}

const mb = (n: number) => `${(n / MiB).toFixed(1)} MiB`
const peak = (s: number[]) => Math.max(...s)

const dep = await startInstances({
  instances: 1,
  env: {
    UPLOAD_MAX_BYTES: String(SIZE + MiB),
    RATE_UPLOAD_USER: '1000',
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME_COST: '1',
  },
  quiet: !flags.has('verbose'),
})
try {
  const base = dep.urls[0]!
  const pid = dep.pids[0]!
  const admin = new ChatHttp({ baseUrl: base })
  const { token } = await admin.login(dep.admin)
  const room = await admin.createRoom({ name: 'Upload bench' })

  // Settled: what the instance holds before any file moves.
  await sleep(2000)
  const idle = sampler(pid)
  await sleep(1000)
  const baseline = Math.max(...idle.stop())

  const during = sampler(pid)
  const started = performance.now()
  const up = await upload(base, token, room.id)
  const seconds = (performance.now() - started) / 1000
  const uploadSamples = during.stop()
  if (up.status !== 201) throw new Error(`upload answered ${up.status}: ${JSON.stringify(up.body)}`)

  const reading = sampler(pid)
  const readStart = performance.now()
  const down = await download(base, token, up.body.file.id)
  const readSeconds = (performance.now() - readStart) / 1000
  const downloadSamples = reading.stop()
  const hwm = memory(pid).hwm

  console.log(`backend:  ${dep.backend}`)
  console.log(`file:     ${mb(SIZE)} (${int(SIZE)} bytes)`)
  console.log(
    `upload:   ${seconds.toFixed(1)} s, ${(SIZE / MiB / seconds).toFixed(1)} MiB/s, answered ${up.status}, stored ${int(up.body.file.size)} bytes`,
  )
  console.log(
    `download: ${readSeconds.toFixed(1)} s, ${(down.bytes / MiB / readSeconds).toFixed(1)} MiB/s, ${down.sha === up.sha ? 'identical (sha256)' : 'DIFFERENT'}`,
  )
  console.log(`server RSS, sampled every 100 ms:`)
  console.log(`  baseline (idle, max of 1 s)  ${mb(baseline)}`)
  console.log(
    `  peak while uploading         ${mb(peak(uploadSamples))}  (+${mb(peak(uploadSamples) - baseline)}, ${uploadSamples.length} samples)`,
  )
  console.log(
    `  peak while downloading       ${mb(peak(downloadSamples))}  (+${mb(peak(downloadSamples) - baseline)}, ${downloadSamples.length} samples)`,
  )
  console.log(`  high-water mark (VmHWM)      ${mb(hwm)}  (since the process started)`)
  if (down.sha !== up.sha || down.bytes !== SIZE) process.exitCode = 1
} finally {
  await dep.stop()
}
