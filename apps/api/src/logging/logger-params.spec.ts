import { requestLogLevel } from './logger-params';

describe('requestLogLevel', () => {
  const job = '/export-jobs/0b6f4a8e-9a55-4c6e-9a43-1d1f5b1f3c2a';

  it('logs status polls answered 200 or 304 at debug', () => {
    expect(requestLogLevel({ method: 'GET', url: job }, { statusCode: 200 })).toBe('debug');
    expect(requestLogLevel({ method: 'GET', url: job }, { statusCode: 304 })).toBe('debug');
    expect(requestLogLevel({ method: 'GET', url: `${job}?x=1` }, { statusCode: 304 })).toBe('debug');
  });

  it('logs refused polls, other job routes and other methods at info', () => {
    expect(requestLogLevel({ method: 'GET', url: job }, { statusCode: 404 })).toBe('info');
    expect(requestLogLevel({ method: 'GET', url: job }, { statusCode: 401 })).toBe('info');
    expect(requestLogLevel({ method: 'GET', url: `${job}/download` }, { statusCode: 200 })).toBe('info');
    expect(requestLogLevel({ method: 'GET', url: `${job}/events` }, { statusCode: 200 })).toBe('info');
    expect(requestLogLevel({ method: 'DELETE', url: job }, { statusCode: 200 })).toBe('info');
    expect(requestLogLevel({ method: 'GET', url: '/export-jobs' }, { statusCode: 200 })).toBe('info');
    expect(requestLogLevel({ method: 'POST', url: `${job}/retry` }, { statusCode: 201 })).toBe('info');
  });

  it('logs failures at error', () => {
    expect(requestLogLevel({ method: 'GET', url: job }, { statusCode: 500 })).toBe('error');
    expect(requestLogLevel({ method: 'GET', url: '/export-jobs' }, { statusCode: 200 }, new Error('x'))).toBe(
      'error',
    );
  });
});
