import { type ComposedMail, Mailer, MailNotSentError } from '@app/application';
import { createTransport, type Transporter } from 'nodemailer';

/** Plain-text mail over SMTP_URL (smtp:// with STARTTLS when offered, smtps:// for TLS from the start). */
export class NodemailerMailer extends Mailer {
  private readonly transport: Transporter;

  constructor(
    smtpUrl: string,
    private readonly from: string,
  ) {
    super();
    this.transport = createTransport(smtpUrl);
  }

  async send(mail: ComposedMail): Promise<void> {
    try {
      await this.transport.sendMail({ from: this.from, to: mail.to, subject: mail.subject, text: mail.text });
    } catch (error) {
      const code = (error as { responseCode?: unknown }).responseCode;
      const permanent = typeof code === 'number' && code >= 500;
      const reason = error instanceof Error ? error.message : String(error);
      throw new MailNotSentError(`The mail server did not take the mail: ${reason}`, permanent);
    }
  }
}
