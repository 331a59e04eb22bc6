// The Mailer port: hands one mail to the outgoing mail server. mailer-smtp.ts implements it
// with nodemailer. `send` resolves once the server accepted the mail and throws otherwise (the
// caller retries); the parts are already written (templates.ts escapes the HTML).

export interface Mail {
  to: string
  subject: string
  text: string
  html: string
}

export interface Mailer {
  send(mail: Mail): Promise<void>
  close(): void
}
