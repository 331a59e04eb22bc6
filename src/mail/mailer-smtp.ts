// The Mailer port over SMTP with nodemailer: `SMTP_URL` names the server (smtp:// upgrades with
// STARTTLS when the server offers it, smtps:// is TLS from the start), `MAIL_FROM` the sender.
// Time-outs keep a stuck server from holding a job past its lease.
import nodemailer from 'nodemailer'
import type { Mailer } from './mailer.ts'

export function smtpMailer(url: string, from: string): Mailer {
  const transport = nodemailer.createTransport({
    url,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  })
  return {
    async send(mail) {
      await transport.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html })
    },
    close() {
      transport.close()
    },
  }
}
