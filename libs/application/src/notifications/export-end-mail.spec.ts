import type { ExportEndFacts } from '../ports/mail';
import { exportEndMail } from './export-end-mail';

const facts = (overrides: Partial<ExportEndFacts> = {}): ExportEndFacts => ({
  eventId: 'e-1',
  tenantId: 't-1',
  jobId: 'job-1',
  status: 'completed',
  occurredAt: new Date('2026-11-30T12:00:00Z'),
  requesterId: 'u-1',
  requesterEmail: 'agent@acme.test',
  notify: ['email'],
  cancelledBy: null,
  viewName: 'Open tickets',
  fileName: 'open-tickets-20261130-120000.csv',
  errorMessage: null,
  ...overrides,
});

describe('exportEndMail', () => {
  it('tells the requester the file is ready, linking to the status screen, never to the file', () => {
    expect(exportEndMail(facts(), 'https://exports.example.com')).toEqual({
      to: 'agent@acme.test',
      subject: 'Your export is ready',
      text:
        'Your export open-tickets-20261130-120000.csv is ready.\n\n' +
        'Open it here to download the file: https://exports.example.com/admin#/jobs/job-1\n\n' +
        'Job job-1, ended 2026-11-30T12:00:00.000Z.\n',
    });
  });

  it('names the view and the safe failure message of a failed job', () => {
    const mail = exportEndMail(
      facts({ status: 'failed', fileName: null, errorMessage: 'The export could not read the tickets.' }),
      'https://x.test',
    );
    expect(mail?.subject).toBe('Your export failed');
    expect(mail?.text).toContain('Your export "Open tickets" failed.');
    expect(mail?.text).toContain('Reason: The export could not read the tickets.');
  });

  it('is not due without notify, for a cancel by the requester, or on expiry', () => {
    expect(exportEndMail(facts({ notify: [] }), 'https://x.test')).toBeNull();
    expect(exportEndMail(facts({ status: 'cancelled', cancelledBy: 'u-1' }), 'https://x.test')).toBeNull();
    expect(
      exportEndMail(facts({ status: 'cancelled', cancelledBy: 'admin' }), 'https://x.test')?.subject,
    ).toBe('Your export was cancelled');
    expect(exportEndMail(facts({ status: 'expired' }), 'https://x.test')).toBeNull();
  });
});
