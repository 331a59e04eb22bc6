// Loaded into a server process before its entry point (node --import; see dying-writer.ts): the
// first Redis PUBLISH on the channel named by HOLD_NOTICE_CHANNEL whose message contains
// HOLD_NOTICE_MATCH never goes out, and never returns. The process prints one line saying so and
// waits there, with its ticket taken and its store write made, for the test to kill it.
import { Redis } from 'ioredis'

const channel = process.env.HOLD_NOTICE_CHANNEL
const match = process.env.HOLD_NOTICE_MATCH ?? ''

if (channel) {
  let held = false
  const proto = Redis.prototype as unknown as { publish: (...args: unknown[]) => Promise<number> }
  const publish = proto.publish
  proto.publish = function (this: Redis, ...args: unknown[]) {
    const [name, message] = args.map(String) as [string, string]
    if (!held && name.endsWith(channel) && message.includes(match)) {
      held = true
      process.stdout.write(`HELD NOTICE ${name} ${message}\n`)
      return new Promise<number>(() => {})
    }
    return publish.apply(this, args)
  }
}
