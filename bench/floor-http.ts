// The floor of an HTTP route: a bare Fastify app with one route returning a constant, no hooks,
// no plugins. bench/http.ts --floor runs it in the same run as the real `GET /api/me` and prints
// the ratio of their requests per second.
//
//   node --import tsx bench/floor-http.ts --port 0     (prints `listening PORT` on stdout)
import Fastify from 'fastify'

const portArg = process.argv.indexOf('--port')
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 0

const app = Fastify({ logger: false })
const body = { id: '000000000000000000000000', username: 'floor', displayName: 'floor' }
app.get('/api/me', async () => body)
const address = await app.listen({ host: '127.0.0.1', port })
console.log(`listening ${new URL(address).port}`)
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)))
