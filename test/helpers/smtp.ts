// A real SMTP server on loopback for the tests (smtp-server), each mail parsed (mailparser):
// what the server's mailer sends arrives here as a mail server would receive it.
import type { AddressInfo } from 'node:net'
import { type ParsedMail, simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'

export interface ReceivedMail {
  to: string
  from: string
  subject: string
  text: string
  html: string
  /** The first link in the text part. */
  link: string | null
}

export class SmtpSink {
  readonly mails: ReceivedMail[] = []
  private server!: SMTPServer
  port = 0

  async start(): Promise<void> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, _session, callback) => {
        simpleParser(stream)
          .then((m: ParsedMail) => {
            const text = m.text ?? ''
            this.mails.push({
              to: Array.isArray(m.to) ? m.to.map((a) => a.text).join(', ') : (m.to?.text ?? ''),
              from: m.from?.text ?? '',
              subject: m.subject ?? '',
              text,
              html: typeof m.html === 'string' ? m.html : '',
              link: /https?:\/\/\S+/.exec(text)?.[0] ?? null,
            })
            callback()
          })
          .catch(callback)
      },
    })
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r))
    this.port = (this.server.server.address() as AddressInfo).port
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`
  }

  /** The mails to this address (case-insensitively). */
  to(address: string): ReceivedMail[] {
    return this.mails.filter((m) => m.to.toLowerCase().includes(address.toLowerCase()))
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()))
  }
}
