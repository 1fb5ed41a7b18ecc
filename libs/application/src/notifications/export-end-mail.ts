import { notifiesRequester } from '@app/domain';
import type { ComposedMail, ExportEndFacts } from '../ports/mail';

const OUTCOME: Readonly<Record<string, string>> = {
  completed: 'is ready',
  failed: 'failed',
  cancelled: 'was cancelled',
};

/**
 * The one mail a requester who asked for `notify: ["email"]` gets when their job ends, or null when none is due.
 * It links to the job's status screen on the admin page, never to the file: downloading needs signing in.
 */
export function exportEndMail(facts: ExportEndFacts, publicBaseUrl: string): ComposedMail | null {
  if (!facts.notify.includes('email')) return null;
  if (!notifiesRequester(facts.status, facts.requesterId, facts.cancelledBy)) return null;
  const what = facts.fileName ?? (facts.viewName ? `"${facts.viewName}"` : 'of all tickets');
  const link = `${publicBaseUrl}/admin#/jobs/${facts.jobId}`;
  const lines = [
    `Your export ${what} ${OUTCOME[facts.status] ?? facts.status}.`,
    '',
    facts.status === 'completed' ? `Open it here to download the file: ${link}` : `Details: ${link}`,
  ];
  if (facts.status === 'failed' && facts.errorMessage)
    lines.splice(1, 0, '', `Reason: ${facts.errorMessage}`);
  lines.push('', `Job ${facts.jobId}, ended ${facts.occurredAt.toISOString()}.`);
  return {
    to: facts.requesterEmail,
    subject: `Your export ${OUTCOME[facts.status] ?? facts.status}`,
    text: `${lines.join('\n')}\n`,
  };
}
